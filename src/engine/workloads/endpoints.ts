// The kernel side of a workload: its namespace, veths, addresses, routes, neighbours, resolv.conf and hosts.
import { endpointLines, forgetHostNeighbourLines, staticRouteLines } from "../../compile";
import type { Attachment, Network, Workload } from "../../model/types";
import type { EngineContext } from "../context";
import { deleteLink } from "../networks/networks";
import { removeNetnsFiles } from "../dns/resolv-conf";
import { writeWorkloadFiles } from "../dns/workload-files";
import { routedVethSetup } from "../networks/routed-network";

export function networksById(ctx: EngineContext): Map<string, Network> {
  return new Map(ctx.store.networks().map((n) => [n.id, n]));
}

/**
 * A namespace given by path (CNI, --netns) may hold several of our workloads, one per interface:
 * only the earliest carries the default route, as a runtime's second network does not replace the first's.
 */
export function sharesNetnsWithEarlier(ctx: EngineContext, w: Workload): boolean {
  if (w.netnsMode !== "path") return false;
  const key = (x: Workload) => `${x.createdAt}/${x.id}`;
  return ctx.store.workloads().some((o) => o.id !== w.id && o.netns === w.netns && key(o) < key(w));
}

/**
 * Builds the endpoints in two `ip -batch` runs (host side, then inside the namespace).
 * `createNetns` is false when attaching to a namespace that already exists.
 */
export async function buildEndpoints(ctx: EngineContext, w: Workload, atts: Attachment[], opts: { createNetns: boolean; routes: boolean }): Promise<void> {
  if (w.netnsMode === "host") return;
  const networks = networksById(ctx);
  const host: string[] = [];
  const inside: string[] = [];
  if (opts.createNetns) {
    host.push(`netns add ${w.netns}`);
    inside.push("link set lo up");
  }
  // A runtime's second network in one namespace does not replace the first's default route.
  const defaultRoutes = !sharesNetnsWithEarlier(ctx, w);
  for (const a of atts) {
    const p = endpointLines(w, a, networks.get(a.networkId)!, { createNetns: false, defaultRoutes });
    host.push(...p.host);
    inside.push(...p.inside);
  }
  if (opts.routes) inside.push(...staticRouteLines(w));
  // resolv.conf and hosts are files under /etc/netns: they need not wait for the namespace.
  await allSettledOrThrow([
    (async () => {
      await ctx.kernel.ipBatch(host);
      await routedVethSetup(ctx, atts, networks);
      await ctx.kernel.ipBatch(inside, w.netns);
    })(),
    opts.createNetns || w.netnsMode === "path" ? writeWorkloadFiles(ctx, w) : Promise.resolve(),
  ]);
}

export async function deleteNetns(ctx: EngineContext, name: string): Promise<void> {
  if (!(await ctx.kernel.netnsExists(name))) return;
  try {
    await ctx.exec.run("ip", ["netns", "del", name]);
  } catch (e) {
    if (!/No such file/.test(String((e as Error).message))) throw e;
  }
}

/** SIGKILL whatever runs in a namespace we own (a workload being rolled back or removed): a
 * process its command daemonized would otherwise outlive the workload in a namespace nobody names. */
async function killNetnsProcesses(ctx: EngineContext, netns: string): Promise<void> {
  if (!(await ctx.kernel.netnsExists(netns))) return;
  const { stdout } = await ctx.exec.run("ip", ["netns", "pids", netns]).catch(() => ({ stdout: "" }));
  for (const pid of stdout.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      // already gone
    }
  }
}

async function deleteLinkInside(ctx: EngineContext, netns: string, ifname: string): Promise<void> {
  try {
    await ctx.kernel.ipBatch([`link del ${ifname}`], netns);
  } catch (e) {
    if (!/Cannot find device|does not exist/.test(String((e as Error).message))) throw e;
  }
}

/** Idempotent: whatever is already gone is success; keeps going and reports every failure. */
export async function teardownEndpoints(ctx: EngineContext, w: Workload, atts: Attachment[]): Promise<void> {
  const errors: string[] = [];
  const attempt = async (what: string, op: () => Promise<void>) => {
    try {
      await op();
    } catch (e) {
      errors.push(`${what}: ${(e as Error).message}`);
    }
  };
  await attempt("forget the host's neighbour entries", () => forgetHostNeighbours(ctx, atts));
  if (w.netnsMode === "owned") {
    await attempt(`stop what still runs in ${w.netns}`, () => killNetnsProcesses(ctx, w.netns));
    await attempt(`delete namespace ${w.netns}`, () => deleteNetns(ctx, w.netns));
    await attempt("remove resolv.conf and hosts", () => removeNetnsFiles(ctx.config.netnsEtcDir, w.netns));
  } else {
    for (const a of atts) {
      // A veth goes with its host end; a macvlan/ipvlan sub-interface lives only in the workload's namespace.
      if (a.hostIfname) await attempt(`delete ${a.hostIfname}`, () => deleteLink(ctx, a.hostIfname));
      else await attempt(`delete ${a.ifname} in ${w.netns}`, () => deleteLinkInside(ctx, w.netns, a.ifname));
    }
  }
  if (errors.length) throw new Error(errors.join("; "));
}

async function forgetHostNeighbours(ctx: EngineContext, atts: Attachment[]): Promise<void> {
  const networks = networksById(ctx);
  const lines = atts.flatMap((a) => {
    const n = networks.get(a.networkId);
    return n?.bridge ? forgetHostNeighbourLines(a, n) : [];
  });
  try {
    await ctx.kernel.ipBatch(lines);
  } catch (e) {
    // A bridge already gone took its entries with it.
    if (!/Cannot find device/.test(String((e as Error).message))) throw e;
  }
}

/**
 * Waits for every step (so a rollback never races a step still running), then throws the first failure.
 * Independent kernel steps run side by side: each is a process spawn of a few milliseconds.
 */
export async function allSettledOrThrow(steps: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(steps);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}
