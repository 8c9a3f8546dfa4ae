// Which link, address and namespace events are damage: pure, so that a burst of our own changes
// (a veth made, moved, enslaved and set up) is judged by where each object ended, not by its steps.
import type { KernelEvent } from "../../kernel/kernel-events";
import type { DesiredState } from "../../model/types";
import { bridgeLines, routedHostRouteKeys } from "../../compile";

export type RouteEvent = Extract<KernelEvent, { kind: "link" | "addr" | "netns" | "route" }>;

/** The kernel objects the store wants in pontond's namespace. */
export interface Wanted {
  /** Link name → whether it is a bridge port (it must keep a master). */
  links: Map<string, { port: boolean }>;
  /** "link address/len" of every bridge address, and of every routed network's gateway on lo. */
  addrs: Set<string>;
  /** "dst/len dev" of every routed network's host routes ("-" as dev: its unreachable subnets). */
  routes: Set<string>;
  netns: Set<string>;
}

/** What one kept workload adds: its host ends (bridge port or not), routed host routes, owned namespace. */
export function workloadWants(w: DesiredState["workloads"][number], attachments: readonly DesiredState["attachments"][number][], routed: ReadonlySet<string>): { links: [string, boolean][]; routes: string[]; netns: string[] } {
  const links: [string, boolean][] = [];
  const routes: string[] = [];
  // macvlan/ipvlan attachments have no host end (hostIfname "").
  for (const a of attachments) {
    if (!a.hostIfname) continue;
    // A routed veth has no master; its host routes are wanted as long as it is.
    links.push([a.hostIfname, !routed.has(a.networkId)]);
    if (routed.has(a.networkId)) routes.push(...routedHostRouteKeys(a));
  }
  return { links, routes, netns: w.netnsMode === "owned" ? [w.netns] : [] };
}

export function wantedObjects(state: DesiredState, kept: (w: DesiredState["workloads"][number]) => boolean): Wanted {
  const links = new Map<string, { port: boolean }>();
  const addrs = new Set<string>();
  const routes = new Set<string>();
  const netns = new Set<string>();
  for (const n of state.networks) {
    if (n.driver === "routed") {
      if (n.gateway4) addrs.add(`lo ${n.gateway4}/32`);
      if (n.gateway6) addrs.add(`lo ${n.gateway6}/128`);
      for (const s of [n.subnet4, n.subnet6]) if (s) routes.add(`${s} -`);
    }
    // A VLAN parent Ponton made is ours to keep too.
    if (n.vlanCreated && n.parent) links.set(n.parent, { port: false });
    if (n.driver !== "bridge") continue;
    links.set(n.bridge, { port: false });
    for (const l of bridgeLines(n)) if (l.startsWith("addr add ")) addrs.add(`${n.bridge} ${l.split(" ")[2]}`);
  }
  const routed = new Set(state.networks.filter((n) => n.driver === "routed").map((n) => n.id));
  const byWorkload = new Map<string, DesiredState["attachments"][number][]>();
  for (const a of state.attachments) byWorkload.set(a.workloadId, [...(byWorkload.get(a.workloadId) ?? []), a]);
  for (const w of state.workloads) {
    if (!kept(w)) continue;
    const wants = workloadWants(w, byWorkload.get(w.id) ?? [], routed);
    for (const [name, port] of wants.links) links.set(name, { port });
    for (const r of wants.routes) routes.add(r);
    for (const n of wants.netns) netns.add(n);
  }
  return { links, addrs, routes, netns };
}

/** One damaged object: what to say, and the object a targeted repair looks at. */
export interface Damage {
  what: string;
  kind: "link" | "addr" | "route" | "netns";
  /** The link hurt, or whose address or route was deleted ("-": a routed network's unreachable subnet), or the namespace. */
  name: string;
}

/** What is damaged after these events (in order); empty when all ended well. */
export function damagedObjects(events: readonly RouteEvent[], wanted: Wanted): Damage[] {
  const lastLink = new Map<string, Extract<RouteEvent, { kind: "link" }>>();
  const lastAddr = new Map<string, Extract<RouteEvent, { kind: "addr" }>>();
  const damage: Damage[] = [];
  for (const e of events) {
    if (e.kind === "link") lastLink.set(e.name, e);
    else if (e.kind === "addr") lastAddr.set(`${e.name} ${e.addr}`, e);
    else if (e.kind === "route") {
      if (wanted.routes.has(`${e.dst} ${e.dev}`)) damage.push({ what: `route ${e.dst}${e.dev === "-" ? "" : ` via ${e.dev}`} deleted`, kind: "route", name: e.dev });
    }
    else if (wanted.netns.has(e.name)) damage.push({ what: `namespace ${e.name} deleted`, kind: "netns", name: e.name });
  }
  for (const [name, e] of lastLink) {
    const want = wanted.links.get(name);
    if (!want) continue;
    if (e.op === "del") damage.push({ what: `link ${name} deleted`, kind: "link", name });
    else if (!e.up) damage.push({ what: `link ${name} down`, kind: "link", name });
    else if (want.port && e.master === 0) damage.push({ what: `link ${name} left its bridge`, kind: "link", name });
  }
  for (const [key, e] of lastAddr) {
    // A deleted link takes its addresses: the link's own event says so already.
    if (e.op === "del" && wanted.addrs.has(key) && lastLink.get(e.name)?.op !== "del") damage.push({ what: `address ${e.addr} of ${e.name} deleted`, kind: "addr", name: e.name });
  }
  return damage;
}
