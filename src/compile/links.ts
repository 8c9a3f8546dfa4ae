// Pure: the iproute2 batch lines that build and remove networks and endpoints.
import type { Attachment, Network, Workload } from "../model/types";
import { parseCidr } from "../model/ip";
import { macFor } from "./names";
import { gatewayNeighbourLines, hostNeighbourLines } from "./neighbours";

export interface EndpointPlan {
  /** Lines for `ip -batch -` in the host namespace. */
  host: string[];
  /** Lines for `ip -batch -` inside the workload namespace. */
  inside: string[];
}

export function bridgeLines(n: Network): string[] {
  // A fixed MAC: otherwise the bridge takes its lowest port's, and the gateway's MAC changes under workloads.
  const lines = [`link add ${n.bridge} address ${macFor(undefined, n.id)} type bridge`];
  if (n.subnet4) lines.push(`addr add ${n.gateway4}/${parseCidr(n.subnet4).prefix} dev ${n.bridge}`);
  if (n.subnet6) lines.push(`addr add ${n.gateway6}/${parseCidr(n.subnet6).prefix} dev ${n.bridge} nodad`);
  lines.push(`link set ${n.bridge} up`);
  return lines;
}

/** Where the workload's namespace is, as iproute2's `netns` argument takes it (a name or a path). */
export function netnsRef(w: Workload): string {
  return w.netns;
}

/**
 * Lines for one attachment. `defaultRoute` says whether this network carries the workload's
 * default route (the first non-internal network it joined).
 */
export function endpointLines(w: Workload, a: Attachment, n: Network, opts: { createNetns: boolean; defaultRoute: boolean }): EndpointPlan {
  const host: string[] = [];
  if (opts.createNetns) host.push(`netns add ${w.netns}`);
  host.push(`link add ${a.hostIfname} type veth peer name ${a.ifname} address ${a.mac} netns ${netnsRef(w)}`);
  host.push(`link set ${a.hostIfname} master ${n.bridge} up`);
  // Hairpin: br_netfilter bridges a DNAT'd packet straight back out of the port it came in on.
  host.push(`link set ${a.hostIfname} type bridge_slave hairpin on`);
  host.push(...hostNeighbourLines(a, n));

  const inside: string[] = [];
  if (opts.createNetns) inside.push("link set lo up");
  if (a.ip4) inside.push(`addr add ${a.ip4}/${parseCidr(n.subnet4!).prefix} dev ${a.ifname}`);
  if (a.ip6) inside.push(`addr add ${a.ip6}/${parseCidr(n.subnet6!).prefix} dev ${a.ifname} nodad`);
  inside.push(`link set ${a.ifname} up`);
  inside.push(...gatewayNeighbourLines(a, n));
  if (opts.defaultRoute) {
    if (a.ip4) inside.push(`route add default via ${n.gateway4} dev ${a.ifname}`);
    if (a.ip6) inside.push(`route add default via ${n.gateway6} dev ${a.ifname}`);
  }
  return { host, inside };
}

/** Static routes the user asked for, added once every interface is up. */
export function staticRouteLines(w: Workload): string[] {
  return w.routes.map((r) => `route add ${r.dst} via ${r.via}`);
}

/** The attachment that carries the default route, if any. */
export function defaultRouteAttachment(attachments: Attachment[], networks: Map<string, Network>): Attachment | undefined {
  return [...attachments].sort((a, b) => a.index - b.index).find((a) => !networks.get(a.networkId)?.internal);
}
