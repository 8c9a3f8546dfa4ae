// Pure: the way back from a workload behind the L7 proxy when HAProxy connects to it from the
// client's own address (`source 0.0.0.0 usesrc clientip`, IP_TRANSPARENT). The workload answers
// the client's address, which is on its own bridge, so the bridge would hand the answer to the
// client, who never opened that connection. A bridge-family chain takes exactly those frames
// (from a guarded address and port) before the bridge decides: their destination MAC becomes the
// bridge's own (so the host receives them), their packet type `host`, and a mark that sends them
// through a routing table where every address is local — HAProxy's transparent socket takes them.
// A table of its own (bridge family): nothing here touches `inet ponton`.
// A routed network has no bridge: the workload's answer comes in on its own veth and the host
// routes it (to the client's /32 route, or out). A table of its own (inet family) marks exactly
// those packets (from a guarded address and port, conntrack's reply direction: an answer to a
// connection the host opened) before the routing decision, so the same mark and table deliver
// them to HAProxy's socket.
// Egress (a client's requests through its listener, HAProxy connects to a destination on this
// host's networks from the client's address): the destination answers the client; frames to the
// client from that port are taken the same ways (keyed by destination address and source port).
// The client's own connections on that port reach HAProxy by a detour: a netdev table on the
// client's veth sends them, before any bridge, through a veth pair of the host's own (L7_DETOUR
// -> L7_DETOUR_IN), where they enter the IP stack afresh and TPROXY can give them to HAProxy's
// socket (l7-chains.ts): a socket TPROXY assigns during br_netfilter's pass is dropped again when
// the bridge hands the packet up to IP.
import { macFor } from "./names";

export const L7_RETURN_TABLE = "bridge ponton_l7";
export const L7_ROUTED_RETURN_TABLE = "inet ponton_l7_return";
export const L7_DETOUR_TABLE = "netdev ponton_l7_detour";
/** The detour's two ends (host-side names, ≤ 15 bytes) and the fixed MAC of the receiving one. */
export const L7_DETOUR = "ponton-l7out";
export const L7_DETOUR_IN = "ponton-l7in";
export const L7_DETOUR_MAC = "02:70:6e:37:00:01";
/** The mark and the routing table (`ip rule fwmark … lookup …`) of those answers. */
export const L7_RETURN_MARK = 0x10000000;
export const L7_ROUTE_TABLE = 1510;

export interface L7Backend {
  ip: string;
  port: number;
  /** The bridge's network id (its MAC is macFor(undefined, id), as links.ts makes it). */
  networkId: string;
  /** On a routed network (no bridge): marked on the host's routing path instead. */
  routed?: boolean;
}

/** An egress client's address and guarded port, and the veth its connections come in by. */
export interface L7Client extends L7Backend {
  hostIfname: string;
}

/**
 * `nft -f` text replacing the three tables (each removed when it has nothing left to take):
 * answers from guarded backends and to egress clients, and the clients' detour.
 */
export function l7ReturnNft(backends: L7Backend[], clients: L7Client[] = []): string {
  const answers = clients.map((c) => ({ ...c, client: true }));
  return bridgeReturnNft([...backends.filter((b) => !b.routed), ...answers.filter((c) => !c.routed)]) + routedReturnNft([...backends.filter((b) => b.routed), ...answers]) + detourNft(clients);
}

type Keyed = L7Backend & { client?: boolean };
/** Answers from a backend: by source; to a client: by destination (and the source port either way). */
const addrOf = (k: Keyed) => (k.client ? "daddr" : "saddr");

/** The bridge family's table. IPv4 and IPv6 backends and clients each have a map. */
function bridgeReturnNft(backends: Keyed[]): string {
  const head = [`add table ${L7_RETURN_TABLE}`, `delete table ${L7_RETURN_TABLE}`];
  if (backends.length === 0) return `${head.join("\n")}\n`;
  const families = [
    { map: "backends", ip: "ip", type: "ipv4_addr", of: backends.filter((b) => !b.ip.includes(":") && !b.client) },
    { map: "backends6", ip: "ip6", type: "ipv6_addr", of: backends.filter((b) => b.ip.includes(":") && !b.client) },
    { map: "clients", ip: "ip", type: "ipv4_addr", of: backends.filter((b) => !b.ip.includes(":") && b.client) },
    { map: "clients6", ip: "ip6", type: "ipv6_addr", of: backends.filter((b) => b.ip.includes(":") && b.client) },
  ].filter((f) => f.of.length > 0);
  const elements = (of: L7Backend[]) => [...new Set(of.map((b) => `${b.ip} . ${b.port} : ${macFor(undefined, b.networkId)}`))].sort();
  return `${[
    ...head,
    `table ${L7_RETURN_TABLE} {`,
    ...families.map((f) => `  map ${f.map} { type ${f.type} . inet_service : ether_addr; elements = { ${elements(f.of).join(", ")} } }`),
    "  chain prerouting {",
    // Before the bridge's own decision (and br_netfilter, priority 0).
    "    type filter hook prerouting priority -300; policy accept;",
    ...families.map((f) => {
      const key = `${f.ip} ${addrOf(f.of[0]!)} . tcp sport`;
      return `    ${key} @${f.map} ether daddr set ${key} map @${f.map} meta pkttype set host meta mark set ${L7_RETURN_MARK}`;
    }),
    "  }",
    "}",
  ].join("\n")}\n`;
}

/** The inet table: answers routed by this host (routed backends, every egress client). */
function routedReturnNft(backends: Keyed[]): string {
  const head = [`add table ${L7_ROUTED_RETURN_TABLE}`, `delete table ${L7_ROUTED_RETURN_TABLE}`];
  if (backends.length === 0) return `${head.join("\n")}\n`;
  const families = [
    { set: "backends4", ip: "ip", type: "ipv4_addr", of: backends.filter((b) => !b.ip.includes(":") && !b.client) },
    { set: "backends6", ip: "ip6", type: "ipv6_addr", of: backends.filter((b) => b.ip.includes(":") && !b.client) },
    { set: "clients4", ip: "ip", type: "ipv4_addr", of: backends.filter((b) => !b.ip.includes(":") && b.client) },
    { set: "clients6", ip: "ip6", type: "ipv6_addr", of: backends.filter((b) => b.ip.includes(":") && b.client) },
  ].filter((f) => f.of.length > 0);
  return `${[
    ...head,
    `table ${L7_ROUTED_RETURN_TABLE} {`,
    ...families.map((f) => `  set ${f.set} { type ${f.type} . inet_service; elements = { ${keys(f.of).join(", ")} } }`),
    "  chain prerouting {",
    // After conntrack (-200), before the routing decision.
    "    type filter hook prerouting priority mangle; policy accept;",
    ...families.map((f) => `    ct direction reply ${f.ip} ${addrOf(f.of[0]!)} . tcp sport @${f.set} meta mark set ${L7_RETURN_MARK}`),
    "  }",
    "}",
  ].join("\n")}\n`;
}

const keys = (of: L7Backend[]) => [...new Set(of.map((b) => `${b.ip} . ${b.port}`))].sort();

/** The netdev table on the egress clients' veths: their connections on a guarded port take the detour. */
function detourNft(clients: L7Client[]): string {
  const head = [`add table ${L7_DETOUR_TABLE}`, `delete table ${L7_DETOUR_TABLE}`];
  if (clients.length === 0) return `${head.join("\n")}\n`;
  const families = [
    { set: "clients4", ip: "ip", type: "ipv4_addr", of: clients.filter((c) => !c.ip.includes(":")) },
    { set: "clients6", ip: "ip6", type: "ipv6_addr", of: clients.filter((c) => c.ip.includes(":")) },
  ].filter((f) => f.of.length > 0);
  const devices = [...new Set(clients.map((c) => `"${c.hostIfname}"`))].sort();
  return `${[
    ...head,
    `table ${L7_DETOUR_TABLE} {`,
    ...families.map((f) => `  set ${f.set} { type ${f.type} . inet_service; elements = { ${keys(f.of).join(", ")} } }`),
    "  chain ingress {",
    `    type filter hook ingress devices = { ${devices.join(", ")} } priority -500; policy accept;`,
    ...families.map((f) => `    ${f.ip} saddr . tcp dport @${f.set} ether daddr set ${L7_DETOUR_MAC} fwd to "${L7_DETOUR}"`),
    "  }",
    "}",
  ].join("\n")}\n`;
}
