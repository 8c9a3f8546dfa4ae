// Pure: which events inside workload namespaces are damage. A workload's interfaces and addresses
// live in its own namespace; a veth's inside end going takes the host end too (the host events
// cover it), but a macvlan/ipvlan sub-interface has no host end, and an address or a link set
// down inside changes nothing outside: only a watch inside each namespace sees them.
import type { KernelEvent } from "../../kernel/kernel-events";
import type { DesiredState, Workload } from "../../model/types";

export type InsideEvent = Extract<KernelEvent, { kind: "inlink" | "inaddr" }>;

export interface InsideWant {
  workloadId: string;
  ifnames: Set<string>;
  /** Addresses without prefix length. */
  addrs: Set<string>;
}

/** A workload's namespace by its name under /run/netns: its own, or a named one it was given. */
export function namedNetns(w: Pick<Workload, "netnsMode" | "netns">): string | undefined {
  if (w.netnsMode === "owned") return w.netns;
  if (w.netnsMode !== "path") return undefined;
  const m = /^\/run\/netns\/([^/]+)$/.exec(w.netns);
  return m?.[1];
}

/** Namespace name → what must stay in it (the namespaces to watch are its keys). */
export function insideWanted(state: DesiredState, kept: (w: Workload) => boolean): Map<string, InsideWant> {
  const out = new Map<string, InsideWant>();
  const byWorkload = new Map<string, InsideWant>();
  for (const w of state.workloads) {
    const ns = namedNetns(w);
    if (!ns || !kept(w)) continue;
    // Several workloads may share one namespace (a CNI runtime's second interface): one entry each would
    // overwrite; the first keeps it, and the others' interfaces are judged with it.
    const want = out.get(ns) ?? { workloadId: w.id, ifnames: new Set<string>(), addrs: new Set<string>() };
    out.set(ns, want);
    byWorkload.set(w.id, want);
  }
  for (const a of state.attachments) {
    const want = byWorkload.get(a.workloadId);
    if (!want) continue;
    want.ifnames.add(a.ifname);
    for (const ip of [a.ip4, a.ip6]) if (ip) want.addrs.add(ip);
  }
  return out;
}

/** Namespace names whose workload lost an interface, had one set down, or lost an address (judged by each object's last event). */
export function insideDamage(events: readonly InsideEvent[], wanted: ReadonlyMap<string, InsideWant>): Map<string, string[]> {
  const last = new Map<string, InsideEvent>();
  for (const e of events) last.set(e.kind === "inlink" ? `${e.ns} link ${e.name}` : `${e.ns} addr ${e.addr.split("/")[0]}`, e);
  const out = new Map<string, string[]>();
  const add = (ns: string, what: string) => out.set(ns, [...(out.get(ns) ?? []), what]);
  for (const e of last.values()) {
    const want = wanted.get(e.ns);
    if (!want) continue;
    if (e.kind === "inlink" && want.ifnames.has(e.name)) {
      if (e.op === "del") add(e.ns, `link ${e.name} deleted in ${e.ns}`);
      else if (!e.up) add(e.ns, `link ${e.name} down in ${e.ns}`);
    } else if (e.kind === "inaddr" && e.op === "del" && want.addrs.has(e.addr.split("/")[0]!)) {
      add(e.ns, `address ${e.addr} deleted in ${e.ns}`);
    }
  }
  return out;
}
