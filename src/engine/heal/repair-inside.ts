// Puts back a workload's interfaces and addresses inside its namespace (what inside-damage.ts
// found): a missing macvlan/ipvlan sub-interface is made again, a lost address, gateway neighbour
// or default route is replaced, a link set down is set up. What cannot be rebuilt (the parent is
// gone, say) marks the workload broken, so that its name stops answering.
import { endpointLines, staticRouteLines } from "../../compile";
import type { Workload } from "../../model/types";
import type { EngineContext } from "../context";
import { buildEndpoints, networksById, sharesNetnsWithEarlier } from "../workloads/endpoints";
import { KEPT_STATES } from "./repair-links";

/** `add` lines as `replace`: what survived is left as it is, what went comes back. */
const asReplace = (l: string) => l.replace(/^(addr|route|neigh) add /, "$1 replace ");

/** Every link of the namespace with its up state and addresses: one `ip` run for the whole look. */
async function insideLinks(ctx: EngineContext, ns: string): Promise<Map<string, { up: boolean; addrs: Set<string> }>> {
  const { stdout } = await ctx.exec.run("ip", ["-n", ns, "-j", "addr", "show"]);
  const raw = JSON.parse(stdout || "[]") as { ifname: string; flags?: string[]; addr_info?: { local: string }[] }[];
  return new Map(raw.map((l) => [l.ifname, { up: (l.flags ?? []).includes("UP"), addrs: new Set((l.addr_info ?? []).map((x) => x.local)) }]));
}

export async function repairInside(ctx: EngineContext, namespaces: ReadonlySet<string>, nameOf: (w: Workload) => string | undefined): Promise<{ rebuilt: string[]; broken: string[] }> {
  const out = { rebuilt: [] as string[], broken: [] as string[] };
  const present = await ctx.kernel.netnsNames();
  const networks = networksById(ctx);
  for (const w of ctx.store.workloads()) {
    const ns = nameOf(w);
    // A vanished namespace is the host-side repair's (rebuilt, broken or forgotten there).
    if (!ns || !namespaces.has(ns) || !KEPT_STATES.has(w.state) || !present.has(ns)) continue;
    const atts = ctx.store.attachmentsOf(w.id);
    try {
      const links = await insideLinks(ctx, ns);
      const defaultRoutes = !sharesNetnsWithEarlier(ctx, w);
      const lines: string[] = [];
      let changed = false;
      for (const a of atts) {
        const n = networks.get(a.networkId)!;
        const link = links.get(a.ifname);
        if (!link) {
          // A veth's inside end cannot go alone (the pair goes): only a sub-interface is made here.
          if (a.hostIfname) continue;
          await buildEndpoints(ctx, w, [a], { createNetns: false, routes: false });
          changed = true;
          continue;
        }
        if (link.up && [a.ip4, a.ip6].every((ip) => !ip || link.addrs.has(ip))) continue;
        lines.push(...endpointLines(w, a, n, { createNetns: false, defaultRoutes }).inside.map(asReplace));
      }
      if (lines.length) await ctx.kernel.ipBatch(lines, ns);
      if (lines.length || changed) {
        // Static routes went with the interface or address they used.
        await ctx.kernel.ipBatch(staticRouteLines(w, "replace"), ns);
        out.rebuilt.push(w.name);
      }
    } catch (e) {
      console.error(`pontond: cannot rebuild the interfaces of ${w.name} in ${ns}: ${(e as Error).message}`);
      const broken: Workload = { ...w, state: "broken" };
      ctx.store.putWorkload(broken);
      out.broken.push(w.name);
    }
  }
  return out;
}
