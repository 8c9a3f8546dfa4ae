// Applies compile/l7-return.ts: the tables that bring answers back to HAProxy (a guarded
// workload's, an egress client's destination's) and the egress clients' detour to it, and the
// routing rule that delivers them locally (fwmark -> a table whose every address is local, the
// usual TPROXY setup). Only in this (the host's) namespace.
import { L7_DETOUR, L7_DETOUR_IN, L7_DETOUR_MAC, L7_RETURN_MARK, L7_ROUTE_TABLE, l7ReturnNft, type L7Backend, type L7Client } from "../../compile/l7-return";
import type { L7Listener } from "../../policy";
import type { EngineContext } from "../context";

const MARK = `0x${L7_RETURN_MARK.toString(16)}/0x${L7_RETURN_MARK.toString(16)}`;

/** Where the listeners' workloads sit on this host's bridge and routed networks, and those networks' subnets. */
export interface L7Topology {
  /** Ingress listeners whose workload is there: HAProxy reaches them from the client's address. */
  transparent: Map<string, L7Backend>;
  /** Egress listeners' clients there, with their veths: destinations on this host see their address. */
  clients: Map<string, L7Client>;
  subnets: string[];
}

/** One read of the store per change, and none without a listener (a pass over every attachment of the host). */
export function l7Topology(ctx: EngineContext, listeners: L7Listener[]): L7Topology {
  const topology: L7Topology = { transparent: new Map(), clients: new Map(), subnets: [] };
  if (listeners.length === 0) return topology;
  const state = ctx.store.state();
  const local = state.networks.filter((n) => n.driver === "bridge" || n.driver === "routed");
  const ids = new Set(local.map((n) => n.id));
  const routed = new Set(local.filter((n) => n.driver === "routed").map((n) => n.id));
  const byIp = new Map(state.attachments.filter((a) => ids.has(a.networkId)).flatMap((a) => [a.ip4, a.ip6].filter((ip): ip is string => !!ip).map((ip) => [ip, a] as const)));
  for (const l of listeners) {
    const a = byIp.get(l.ip);
    if (!a) continue;
    const where = { ip: l.ip, port: l.port, networkId: a.networkId, ...(routed.has(a.networkId) ? { routed: true } : {}) };
    if (l.direction === "ingress") topology.transparent.set(`${l.ip}:${l.port}`, where);
    else if (a.hostIfname) topology.clients.set(`${l.ip}:${l.port}`, { ...where, hostIfname: a.hostIfname });
  }
  topology.subnets = [...new Set(local.flatMap((n) => [n.subnet4, n.subnet6].filter((c): c is string => !!c)))].sort();
  return topology;
}

/**
 * The egress clients' detour (compile/l7-return.ts): a veth pair of this host's own, made while
 * any client takes it (its receiving end has a fixed MAC, the one the netdev table writes, and no
 * reverse-path filter: the clients' addresses are routed elsewhere), removed when none is left.
 */
async function applyDetour(ctx: EngineContext, wanted: boolean): Promise<void> {
  const exists = (await ctx.exec.run("ip", ["link", "show", L7_DETOUR_IN]).then(() => true, () => false));
  if (!wanted) {
    if (exists) await ctx.exec.run("ip", ["link", "del", L7_DETOUR]).catch(() => undefined);
    return;
  }
  if (!exists) {
    await ctx.exec.run("ip", ["link", "add", L7_DETOUR, "type", "veth", "peer", "name", L7_DETOUR_IN]);
    await ctx.exec.run("ip", ["link", "set", L7_DETOUR_IN, "address", L7_DETOUR_MAC]);
  }
  await ctx.kernel.sysctl(`net/ipv4/conf/${L7_DETOUR_IN}/rp_filter`, "0");
  for (const dev of [L7_DETOUR, L7_DETOUR_IN]) await ctx.exec.run("ip", ["link", "set", dev, "up"]);
}

/**
 * The routing rule (while any port is guarded: TPROXY'd connections need it too) and the
 * tables; returns what was applied, so an unchanged plan costs nothing.
 */
export async function applyReturnPath(ctx: EngineContext, guarded: boolean, backends: L7Backend[], clients: L7Client[], last: string | undefined): Promise<string> {
  const text = `${guarded}\n${l7ReturnNft(backends, clients)}`;
  if (text === last) return text;
  // The detour before the table that sends to it (and removed after it).
  if (clients.length > 0) await applyDetour(ctx, true);
  // HAProxy's sockets on a routed workload's or an egress destination's address and port stay in
  // TIME_WAIT in this namespace (60 s); early demux would give a routed packet of the same four
  // numbers that socket, and ip_forward drops a packet that has one — once the rules are gone, a
  // client reusing the port loses its SYNs. Off for good once such a socket may exist (IPv4 and
  // IPv6 both follow this switch; it only saves local TCP a route lookup).
  if (backends.some((b) => b.routed) || clients.length > 0) await ctx.kernel.sysctl("net/ipv4/ip_early_demux", "0");
  const table = String(L7_ROUTE_TABLE);
  const families = [["-4", "0.0.0.0/0"], ["-6", "::/0"]] as const;
  if (guarded) {
    for (const [f, all] of families) {
      await ctx.exec.run("ip", [f, "route", "replace", "local", all, "dev", "lo", "table", table]);
      const rules = (await ctx.exec.run("ip", [f, "rule", "show", "lookup", table])).stdout;
      if (!rules.includes("fwmark")) await ctx.exec.run("ip", [f, "rule", "add", "fwmark", MARK, "lookup", table, "priority", "100"]);
    }
  }
  await ctx.kernel.nft(l7ReturnNft(backends, clients));
  if (clients.length === 0) await applyDetour(ctx, false);
  if (!guarded) {
    for (const [f] of families) {
      await ctx.exec.run("ip", [f, "rule", "del", "fwmark", MARK, "lookup", table]).catch(() => undefined);
      await ctx.exec.run("ip", [f, "route", "flush", "table", table]).catch(() => undefined);
    }
  }
  return text;
}
