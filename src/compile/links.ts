// Pure: the iproute2 batch lines that build and remove networks and endpoints.
import type { Attachment, Network, Workload } from "../model/types";
import { parseCidr } from "../model/ip";
import { macFor } from "./names";
import { gatewayNeighbourLines, hostNeighbourLines } from "./neighbours";
import { routedAddressLines, routedGatewayRouteLines, routedHostLines } from "./routed";

export interface EndpointPlan {
  /** Lines for `ip -batch -` in the host namespace. */
  host: string[];
  /** Lines for `ip -batch -` inside the workload namespace. */
  inside: string[];
}

/** ` mtu N` when the network has one (records made before MTUs were kept have none: kernel default). */
const mtuArg = (n: Network): string => (n.mtu ? ` mtu ${n.mtu}` : "");

export function bridgeLines(n: Network): string[] {
  // A fixed MAC: otherwise the bridge takes its lowest port's, and the gateway's MAC changes under workloads.
  const lines = [`link add ${n.bridge} address ${macFor(undefined, n.id)}${mtuArg(n)} type bridge`];
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
 * Lines for one attachment: a veth into the bridge, a routed veth (compile/routed.ts), or (macvlan, ipvlan) a sub-interface of the
 * parent made straight into the workload's namespace. Every network not internal and not
 * `--no-default-route` gives a default route, with its metric (see defaultRouteMetric), unless
 * `defaultRoutes` is false (a namespace that an earlier workload's interface already routes).
 */
export function endpointLines(w: Workload, a: Attachment, n: Network, opts: { createNetns: boolean; defaultRoutes?: boolean }): EndpointPlan {
  const host: string[] = [];
  if (opts.createNetns) host.push(`netns add ${w.netns}`);
  if (n.driver === "bridge") {
    host.push(`link add ${a.hostIfname}${mtuArg(n)} type veth peer name ${a.ifname} address ${a.mac}${mtuArg(n)} netns ${netnsRef(w)}`);
    host.push(`link set ${a.hostIfname} master ${n.bridge} up`);
    // Hairpin: br_netfilter bridges a DNAT'd packet straight back out of the port it came in on.
    host.push(`link set ${a.hostIfname} type bridge_slave hairpin on`);
    host.push(...hostNeighbourLines(a, n));
  } else if (n.driver === "routed") {
    host.push(...routedHostLines(w, a, n));
  } else {
    host.push(subInterfaceLine(n, a, netnsRef(w)));
  }

  const inside: string[] = [];
  if (opts.createNetns) inside.push("link set lo up");
  if (n.driver === "routed") inside.push(...routedAddressLines(a));
  else {
    if (a.ip4) inside.push(`addr add ${a.ip4}/${parseCidr(n.subnet4!).prefix} dev ${a.ifname}`);
    if (a.ip6) inside.push(`addr add ${a.ip6}/${parseCidr(n.subnet6!).prefix} dev ${a.ifname} nodad`);
  }
  inside.push(`link set ${a.ifname} up`);
  inside.push(...gatewayNeighbourLines(a, n));
  if (n.driver === "routed") inside.push(...routedGatewayRouteLines(a, n));
  const metric = opts.defaultRoutes === false ? null : defaultRouteMetric(a, n);
  if (metric !== null) {
    const m = metric === undefined ? "" : ` metric ${metric}`;
    // ipvlan l3 routes at L3 through the parent: no neighbour to resolve, the device is the way out.
    const l3 = n.driver === "ipvlan" && n.mode === "l3";
    if (a.ip4 && n.gateway4) inside.push(`route add default ${l3 ? "" : `via ${n.gateway4} `}dev ${a.ifname}${m}`);
    if (a.ip6 && n.gateway6) inside.push(`route add ${l3 ? "::/0 " : `default via ${n.gateway6} `}dev ${a.ifname}${m}`);
  }
  return { host, inside };
}

/**
 * A macvlan or ipvlan sub-interface of the network's parent, created in the host namespace (where
 * the parent is) straight into the workload's. ipvlan children share the parent's MAC.
 */
export function subInterfaceLine(n: Network, a: Attachment, netns: string): string {
  const mac = n.driver === "macvlan" ? ` address ${a.mac}` : "";
  return `link add link ${n.parent} name ${a.ifname}${mac}${mtuArg(n)} netns ${netns} type ${n.driver} mode ${n.mode}`;
}

/** The 802.1Q sub-interface `IF.ID` a macvlan/ipvlan network hangs from, made when missing (as Docker does). */
export function vlanLines(parent: string, link: string, id: number): string[] {
  return [`link add link ${link} name ${parent} type vlan id ${id}`, `link set ${parent} up`];
}

/** Metric of later networks' default routes: above IPv4's 0 and IPv6's kernel default 1024, so the first network wins. */
export const LATER_DEFAULT_METRIC = 1100;

/**
 * The metric of the default route attachment `a` gives its workload: null for none (internal,
 * `--no-default-route`), undefined for the kernel's default (the first network joined),
 * the network's `--default-route-metric`, or 1100 + join order for networks joined later.
 */
export function defaultRouteMetric(a: Attachment, n: Network | undefined): number | undefined | null {
  if (!n || n.internal || n.defaultRoute === false || n.driver === "host" || n.driver === "null") return null;
  if (n.defaultRouteMetric !== undefined) return n.defaultRouteMetric;
  return a.index === 0 ? undefined : LATER_DEFAULT_METRIC + a.index;
}

/** Static routes the user asked for, added once every interface is up. */
export function staticRouteLines(w: Workload, verb: "add" | "replace" = "add"): string[] {
  return w.routes.map((r) => (r.type === "blackhole" ? `route ${verb} blackhole ${r.dst}` : `route ${verb} ${r.dst} via ${r.via}`));
}

/** The attachment that carries the default route, if any. */
export function defaultRouteAttachment(attachments: Attachment[], networks: Map<string, Network>): Attachment | undefined {
  const rank = (a: Attachment) => defaultRouteMetric(a, networks.get(a.networkId)) ?? 0;
  return attachments
    .filter((a) => defaultRouteMetric(a, networks.get(a.networkId)) !== null)
    .sort((a, b) => rank(a) - rank(b) || a.index - b.index)[0];
}
