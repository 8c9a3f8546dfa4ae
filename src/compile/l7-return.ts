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
import { macFor } from "./names";

export const L7_RETURN_TABLE = "bridge ponton_l7";
export const L7_ROUTED_RETURN_TABLE = "inet ponton_l7_routed";
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

/** `nft -f` text replacing both tables (each removed when no backend of its kind is left). */
export function l7ReturnNft(backends: L7Backend[]): string {
  return bridgeReturnNft(backends.filter((b) => !b.routed)) + routedReturnNft(backends.filter((b) => b.routed));
}

/** The bridge family's table. IPv4 and IPv6 backends each have a map. */
function bridgeReturnNft(backends: L7Backend[]): string {
  const head = [`add table ${L7_RETURN_TABLE}`, `delete table ${L7_RETURN_TABLE}`];
  if (backends.length === 0) return `${head.join("\n")}\n`;
  const families = [
    { map: "backends", ip: "ip", type: "ipv4_addr", of: backends.filter((b) => !b.ip.includes(":")) },
    { map: "backends6", ip: "ip6", type: "ipv6_addr", of: backends.filter((b) => b.ip.includes(":")) },
  ].filter((f) => f.of.length > 0);
  const elements = (of: L7Backend[]) => [...new Set(of.map((b) => `${b.ip} . ${b.port} : ${macFor(undefined, b.networkId)}`))].sort();
  return `${[
    ...head,
    `table ${L7_RETURN_TABLE} {`,
    ...families.map((f) => `  map ${f.map} { type ${f.type} . inet_service : ether_addr; elements = { ${elements(f.of).join(", ")} } }`),
    "  chain prerouting {",
    // Before the bridge's own decision (and br_netfilter, priority 0).
    "    type filter hook prerouting priority -300; policy accept;",
    ...families.map((f) => `    ${f.ip} saddr . tcp sport @${f.map} ether daddr set ${f.ip} saddr . tcp sport map @${f.map} meta pkttype set host meta mark set ${L7_RETURN_MARK}`),
    "  }",
    "}",
  ].join("\n")}\n`;
}

/** The routed networks' table. IPv4 and IPv6 backends each have a set. */
function routedReturnNft(backends: L7Backend[]): string {
  const head = [`add table ${L7_ROUTED_RETURN_TABLE}`, `delete table ${L7_ROUTED_RETURN_TABLE}`];
  if (backends.length === 0) return `${head.join("\n")}\n`;
  const families = [
    { set: "backends4", ip: "ip", type: "ipv4_addr", of: backends.filter((b) => !b.ip.includes(":")) },
    { set: "backends6", ip: "ip6", type: "ipv6_addr", of: backends.filter((b) => b.ip.includes(":")) },
  ].filter((f) => f.of.length > 0);
  const elements = (of: L7Backend[]) => [...new Set(of.map((b) => `${b.ip} . ${b.port}`))].sort();
  return `${[
    ...head,
    `table ${L7_ROUTED_RETURN_TABLE} {`,
    ...families.map((f) => `  set ${f.set} { type ${f.type} . inet_service; elements = { ${elements(f.of).join(", ")} } }`),
    "  chain prerouting {",
    // After conntrack (-200), before the routing decision.
    "    type filter hook prerouting priority mangle; policy accept;",
    ...families.map((f) => `    ct direction reply ${f.ip} saddr . tcp sport @${f.set} meta mark set ${L7_RETURN_MARK}`),
    "  }",
    "}",
  ].join("\n")}\n`;
}
