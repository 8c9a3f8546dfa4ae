// Pure: the iproute2 lines of a routed network (`--driver routed`): no bridge at all, as Calico does it.
//
// Each workload has its own veth. The host end has no address on the network's subnet; the host
// holds the network's gateway addresses on `lo` (/32, /128), so they are local addresses it answers
// for on every link (the DNS listens there, as on a bridge's gateway), and reaches each workload by a
// /32 and /128 route through that workload's veth. The workload holds its address as /32 and /128
// and sends everything to the gateway, which it reaches on-link. Both ends get permanent neighbour
// entries (Ponton picks both MACs), so no ARP or NDP is ever sent; were the workload's entry lost, the
// host answers ARP for the gateway (a local address) and NDP through a proxy entry on the veth.
// Unassigned addresses of the subnet hit an `unreachable` route instead of the host's default route.
import type { Attachment, Network, Workload } from "../model/types";
import { macFor } from "./names";

/** The MAC of every host end of the network's veths: the one the workloads' gateway entries name. */
export const routedGatewayMac = (n: Network): string => macFor(undefined, n.id);

const mtuArg = (n: Network): string => (n.mtu ? ` mtu ${n.mtu}` : "");

/** The network's own host state: gateway addresses on lo, unreachable subnets. Idempotent (`replace`). */
export function routedNetworkLines(n: Network): string[] {
  const lines = ["link set lo up"];
  if (n.subnet4) lines.push(`addr replace ${n.gateway4}/32 dev lo`, `route replace unreachable ${n.subnet4}`);
  if (n.subnet6) lines.push(`addr replace ${n.gateway6}/128 dev lo nodad`, `route replace unreachable ${n.subnet6}`);
  return lines;
}

/** Undoes routedNetworkLines, one line at a time (each may be gone already). */
export function routedNetworkRemovalLines(n: Network): string[] {
  const lines: string[] = [];
  if (n.subnet4) lines.push(`addr del ${n.gateway4}/32 dev lo`, `route del unreachable ${n.subnet4}`);
  if (n.subnet6) lines.push(`addr del ${n.gateway6}/128 dev lo`, `route del unreachable ${n.subnet6}`);
  return lines;
}

/** "dst dev" keys of the host routes a routed attachment needs (what the healer watches for). */
export function routedHostRouteKeys(a: Attachment): string[] {
  return [...(a.ip4 ? [`${a.ip4}/32 ${a.hostIfname}`] : []), ...(a.ip6 ? [`${a.ip6}/128 ${a.hostIfname}`] : [])];
}

/** The host's routes and neighbour entries for one workload (its veth exists and is up). */
export function routedHostRouteLines(a: Attachment, n: Network): string[] {
  const lines: string[] = [];
  if (a.ip4) {
    lines.push(`route replace ${a.ip4}/32 dev ${a.hostIfname} src ${n.gateway4}`);
    lines.push(`neigh replace ${a.ip4} lladdr ${a.mac} dev ${a.hostIfname} nud permanent`);
  }
  if (a.ip6) {
    lines.push(`route replace ${a.ip6}/128 dev ${a.hostIfname} src ${n.gateway6}`);
    lines.push(`neigh replace ${a.ip6} lladdr ${a.mac} dev ${a.hostIfname} nud permanent`);
    lines.push(`neigh replace proxy ${n.gateway6} dev ${a.hostIfname}`);
  }
  return lines;
}

/** The host side of one attachment: the veth (its far end straight into the workload's namespace), up, routed. */
export function routedHostLines(w: Workload, a: Attachment, n: Network): string[] {
  return [
    `link add ${a.hostIfname} address ${routedGatewayMac(n)}${mtuArg(n)} type veth peer name ${a.ifname} address ${a.mac}${mtuArg(n)} netns ${w.netns}`,
    `link set ${a.hostIfname} up`,
    ...routedHostRouteLines(a, n),
  ];
}

/** The workload's addresses: host prefixes, so every destination, its own subnet's too, goes through the gateway. */
export function routedAddressLines(a: Attachment): string[] {
  return [...(a.ip4 ? [`addr add ${a.ip4}/32 dev ${a.ifname}`] : []), ...(a.ip6 ? [`addr add ${a.ip6}/128 dev ${a.ifname} nodad`] : [])];
}

/** The gateway on-link, and the network's subnet through it (what a bridge network's connected route gives). */
export function routedGatewayRouteLines(a: Attachment, n: Network): string[] {
  const lines: string[] = [];
  if (a.ip4 && n.gateway4) lines.push(`route add ${n.gateway4} dev ${a.ifname} scope link`, `route add ${n.subnet4} via ${n.gateway4} dev ${a.ifname}`);
  if (a.ip6 && n.gateway6) lines.push(`route add ${n.gateway6} dev ${a.ifname}`, `route add ${n.subnet6} via ${n.gateway6} dev ${a.ifname}`);
  return lines;
}

/** Per-interface sysctls of a routed host veth: 127.0.0.1-published ports (as on a bridge) and proxy NDP for the gateway. */
export function routedVethSysctls(a: Attachment): Array<[string, string]> {
  return [...(a.ip4 ? [[`net/ipv4/conf/${a.hostIfname}/route_localnet`, "1"] as [string, string]] : []), ...(a.ip6 ? [[`net/ipv6/conf/${a.hostIfname}/proxy_ndp`, "1"] as [string, string]] : [])];
}

