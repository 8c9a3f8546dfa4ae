// LB IPAM in a service operation: the LoadBalancer services it built get their addresses, and stored
// ones whose addresses change because of it (a freed address, a pool change) come back so the same
// store and nft transaction writes them. Nothing here touches the kernel.
import { networkOfAddress } from "../../compile";
import { parseIp, type Family } from "../../model/ip";
import { assignLbAddresses, type LbClaim } from "../../model/lb/lb-ipam";
import type { LbPool } from "../../model/lb/lb-pool";
import { serviceNamespace, serviceRef, serviceVips, type LoadBalancerState, type Service } from "../../model/services/service";
import type { DesiredState } from "../../model/types";
import type { EngineContext } from "../context";
import type { Holders } from "./service-holders";

export interface LbOutcome {
  /** The operation's services, with their LoadBalancer addresses. */
  made: Service[];
  /** Stored services whose addresses changed, and what they were before (for undo). */
  changed: { s: Service; old: Service }[];
}

const claimOf = (s: Service): LbClaim => ({
  id: s.id,
  ref: serviceRef(s),
  namespace: serviceNamespace(s),
  name: s.name,
  labels: s.labels ?? {},
  families: [...new Set(serviceVips(s).map((v) => parseIp(v)!.family as Family))],
  ports: s.ports.map((p) => ({ protocol: p.protocol, port: p.port })),
  requested: s.loadBalancer?.requested ?? [],
  preferred: s.loadBalancer?.preferred ?? [],
  ...(s.loadBalancer?.sharingKey ? { sharingKey: s.loadBalancer.sharingKey } : {}),
  held: s.loadBalancer?.ips ?? [],
  order: `${s.createdAt} ${serviceRef(s)}`,
});

/** Cilium's sharing key: same key and namespace, no port in common. */
const sharable = (h: LbClaim, c: LbClaim) => h.sharingKey !== undefined && h.sharingKey === c.sharingKey && h.namespace === c.namespace && !h.ports.some((p) => c.ports.some((q) => q.protocol === p.protocol && q.port === p.port));

const same = (a: LoadBalancerState | undefined, b: LoadBalancerState) => JSON.stringify(a) === JSON.stringify(b);

/**
 * `removed`: ids the operation deletes (their addresses are free); `pools`: the pools as the
 * operation leaves them (default: stored).
 */
export function assignLoadBalancers(ctx: EngineContext, state: DesiredState, holders: Holders, made: Service[], opts: { pools?: LbPool[]; removed?: Set<string> } = {}): LbOutcome {
  const mine = new Map(made.map((s) => [s.id, s]));
  const others = [...ctx.store.serviceLookups().loadBalanced()].filter((s) => !mine.has(s.id) && !opts.removed?.has(s.id));
  // Cluster mode: a cluster service's addresses are the cluster's (reserved in etcd by the node that
  // gave them): a service change here neither takes them away nor hands them out. A pool change does
  // re-evaluate them: the pools are the cluster's too (etcd-first, mirrored), so the node applying it
  // sees every pool, and what it moves goes to etcd with the pool.
  const fixed = ctx.cluster && !opts.pools ? others.filter((s) => s.cluster && s.loadBalancer!.ips.length > 0).map(claimOf) : [];
  const stored = others.filter((s) => !fixed.some((f) => f.id === s.id));
  const balanced = [...stored, ...made.filter((s) => s.loadBalancer)];
  if (balanced.length === 0) return { made, changed: [] };
  const blocked = (ip: string, c: LbClaim) => {
    if (networkOfAddress(state, ip) || holders.vip(ip)) return true;
    if (fixed.some((f) => f.held.includes(ip) && !sharable(f, c))) return true;
    return c.ports.some((p) => {
      const h = holders.addrPort(ip, p.protocol, p.port);
      // LoadBalancer addresses are the allocator's own business (sharing, previous holders).
      return h !== undefined && h.id !== c.id && !opts.removed?.has(h.id) && !h.loadBalancer?.ips.includes(ip);
    });
  };
  const results = assignLbAddresses(opts.pools ?? ctx.store.lbPools(), balanced.map(claimOf), blocked);
  const withResult = (s: Service): Service => {
    const r = results.get(s.id)!;
    const { ips: _ips, pending: _pending, ...request } = s.loadBalancer!;
    const lb: LoadBalancerState = { ...request, ips: r.ips, ...(r.pending ? { pending: r.pending } : {}) };
    return same(s.loadBalancer, lb) ? s : { ...s, loadBalancer: lb };
  };
  const changed = stored.map((old) => ({ s: withResult(old), old })).filter((x) => x.s !== x.old);
  return { made: made.map((s) => (s.loadBalancer ? withResult(s) : s)), changed };
}
