// Makes routed networks match the store: gateway addresses on lo, unreachable subnets, and each
// workload's host routes and neighbour entries (its veth itself is rebuilt with the bridge ports').
import type { EngineContext } from "../context";
import type { Attachment, Network } from "../../model/types";
import { routedHostRouteKeys, routedHostRouteLines, routedNetworkLines } from "../../compile";
import { KEPT_STATES } from "./repair-links";
import type { HostLinks } from "./host-links";

/** "dst/len dev" of the main table's routes ("-" as dev for unreachable ones), one read per family; `filter`: e.g. `dev X`. */
async function hostRoutes(ctx: EngineContext, filter: string[] = [], out = new Set<string>()): Promise<Set<string>> {
  for (const family of ["-4", "-6"]) {
    const { stdout } = await ctx.exec.run("ip", [family, "-json", "route", "show", "table", "main", ...filter]);
    // A `dev X` filter leaves the device out of each route.
    const dev = filter[0] === "dev" ? filter[1] : undefined;
    for (const r of JSON.parse(stdout || "[]") as { dst: string; dev?: string; type?: string }[]) {
      const dst = r.dst.includes("/") ? r.dst : `${r.dst}/${family === "-4" ? 32 : 128}`;
      out.add(`${dst} ${r.type === "unreachable" ? "-" : (r.dev ?? dev)}`);
    }
  }
  return out;
}

/** A scoped pass: these networks' gateways and unreachable subnets, these attachments' host routes. */
export interface RoutedScope {
  networks: ReadonlySet<string>;
  attachments: readonly Attachment[];
}

/**
 * Returns what it fixed, as `network:what`. Veths that are missing or down are left to repairLinks,
 * which passes the links as it left them (`links`). Scoped, it reads only the routes of those links.
 */
export async function repairRouted(ctx: EngineContext, links: HostLinks, scope?: RoutedScope): Promise<string[]> {
  const routed = ctx.store.networks().filter((n) => n.driver === "routed");
  if (!routed.length) return [];
  const byId = new Map<string, Network>(routed.map((n) => [n.id, n]));
  const own = scope ? routed.filter((n) => scope.networks.has(n.id)) : routed;
  const attachments = (scope ? scope.attachments : ctx.store.state().attachments).filter((a) => byId.has(a.networkId));
  if (!own.length && !attachments.length) return [];
  const fixed: string[] = [];
  const lo = own.length ? new Set(await ctx.kernel.addresses("lo")) : new Set<string>();
  let routes: Set<string>;
  if (!scope) routes = await hostRoutes(ctx);
  else {
    routes = own.length ? await hostRoutes(ctx, ["type", "unreachable"]) : new Set<string>();
    for (const a of attachments) if (links.get(a.hostIfname)?.up) await hostRoutes(ctx, ["dev", a.hostIfname], routes);
  }
  const lines: string[] = [];
  for (const n of own) {
    const gone = [n.gateway4 && !lo.has(`${n.gateway4}/32`), n.gateway6 && !lo.has(`${n.gateway6}/128`), ...[n.subnet4, n.subnet6].map((s) => s && !routes.has(`${s} -`))];
    if (gone.some(Boolean)) {
      lines.push(...routedNetworkLines(n));
      fixed.push(`${n.name}:gateway`);
    }
  }
  const kept = new Set(ctx.store.workloads().filter((w) => KEPT_STATES.has(w.state)).map((w) => w.id));
  const stale: Attachment[] = [];
  for (const a of attachments) {
    if (!kept.has(a.workloadId) || !links.get(a.hostIfname)?.up) continue;
    if (routedHostRouteKeys(a).some((k) => !routes.has(k))) stale.push(a);
  }
  for (const a of stale) {
    lines.push(...routedHostRouteLines(a, byId.get(a.networkId)!));
    fixed.push(`${byId.get(a.networkId)!.name}:route ${a.ip4 ?? a.ip6}`);
  }
  // Gateways first: a host route names its gateway as source address.
  await ctx.kernel.ipBatch(lines);
  return fixed;
}
