// Use cases on LoadBalancer IP pools: apply (create or replace), remove, list. A pool change
// re-evaluates every LoadBalancer service in the same store and nft transaction as the pool itself.
import { EngineError } from "../../errors";
import { parseIp } from "../../model/ip";
import { claimLabels } from "../../model/lb/lb-ipam";
import { poolHolds, poolSize, type LbPool } from "../../model/lb/lb-pool";
import { matchesSelector } from "../../policy";
import { serviceNamespace, serviceRef } from "../../model/services/service";
import type { EngineContext } from "../context";
import { syncedPut } from "../policy/namespaces";
import { asKernelError } from "../networks/networks";
import { assignLoadBalancers } from "./lb-assign";
import { Holders } from "./service-holders";
import { clusterOwned } from "../cluster/cluster-gate";

export interface PoolReport {
  created: string[];
  configured: string[];
  removed: string[];
}

/**
 * `pools` are created or replaced; `remove` names pools to delete (with `project`: the project's
 * pools not in `pools` are removed, as `ponton up` converges).
 */
export async function applyLbPools(ctx: EngineContext, pools: LbPool[], opts: { project?: string; remove?: string[]; missingOk?: boolean } = {}): Promise<PoolReport> {
  const stored = ctx.store.lbPools();
  const byName = new Map(stored.map((p) => [p.name, p]));
  const remove = new Set(opts.remove ?? []);
  if (opts.project) for (const p of stored) if (p.project === opts.project && !pools.some((x) => x.name === p.name)) remove.add(p.name);
  for (const name of remove) {
    if (!byName.has(name) && !opts.missingOk) throw new EngineError("NOT_FOUND", `pool ${name} not found`, { hint: "list pools with 'ponton lb-pool ls'" });
  }
  const owned = pools.map((p) => ({ ...p, ...(opts.project ? { project: opts.project } : byName.get(p.name)?.project ? { project: byName.get(p.name)!.project! } : {}), ...(ctx.cluster ? { cluster: true as const } : {}) }));
  const after = [...stored.filter((p) => !remove.has(p.name) && !owned.some((x) => x.name === p.name)), ...owned];
  const state = ctx.store.state();
  const given = assignLoadBalancers(ctx, state, new Holders(ctx.store.serviceLookups()), [], { pools: after });
  // Cluster mode: the pools and the services whose addresses they move are the cluster's: etcd first
  // (the pools, then the services with their addresses reserved or freed there), or the mirror would
  // put back what etcd holds. A pool removed takes its addresses from every node's services.
  const lb = ctx.cluster ? { ...given, changed: given.changed.map((c) => ({ ...c, s: clusterOwned(c.s) })) } : given;
  const gone = [...remove].filter((n) => byName.has(n));
  const unpool = await ctx.cluster?.pools(owned, gone);
  let unpublish: (() => Promise<void>) | undefined;
  try {
    unpublish = lb.changed.length ? await ctx.cluster?.services(lb.changed.map((c) => c.s), []) : undefined;
  } catch (e) {
    await unpool?.().catch(() => undefined);
    throw e;
  }
  const put = () => {
    gone.forEach((n) => ctx.store.deleteLbPool(n));
    owned.forEach((p) => ctx.store.putLbPool(p));
    lb.changed.forEach(({ s }) => ctx.store.putService(s));
  };
  const undo = () => {
    lb.changed.forEach(({ old }) => ctx.store.putService(old));
    owned.forEach((p) => (byName.has(p.name) ? ctx.store.putLbPool(byName.get(p.name)!) : ctx.store.deleteLbPool(p.name)));
    gone.forEach((n) => ctx.store.putLbPool(byName.get(n)!));
  };
  try {
    await syncedPut(ctx, put, undo);
  } catch (e) {
    await unpublish?.().catch(() => undefined);
    await unpool?.().catch(() => undefined);
    throw asKernelError(e, `apply ${owned.length} pools`);
  }
  return {
    created: owned.filter((p) => !byName.has(p.name)).map((p) => p.name),
    configured: owned.filter((p) => byName.has(p.name)).map((p) => p.name),
    removed: gone,
  };
}

/** What `lb-pool ls` shows: the pool, its size, the addresses in use and by whom. */
export function lbPoolViews(ctx: EngineContext) {
  const balanced = [...ctx.store.serviceLookups().loadBalanced()];
  return ctx.store.lbPools().map((p) => {
    const used = new Map<string, string[]>();
    for (const s of balanced) {
      for (const ip of s.loadBalancer?.ips ?? []) {
        const v = parseIp(ip)!;
        if (poolHolds(p, v.family, v.value)) used.set(ip, [...(used.get(ip) ?? []), serviceRef(s)]);
      }
    }
    const selects = balanced.filter((s) => !p.serviceSelector || matchesSelector(p.serviceSelector, claimLabels({ labels: s.labels ?? {}, namespace: serviceNamespace(s), name: s.name })));
    return {
      ...p,
      size: poolSize(p).toString(),
      used: used.size,
      addresses: Object.fromEntries(used),
      selects: selects.map(serviceRef),
    };
  });
}
