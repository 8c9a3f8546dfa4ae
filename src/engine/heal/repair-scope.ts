// Which networks and workloads a repair pass looks at: those the damage names, so that the pass
// reads their links alone (`ip link show dev`), never a dump of every host link (O(links) in the
// kernel, and a creation's own events would otherwise make creating N workloads O(N²)).
import type { DesiredState } from "../../model/types";
import type { Damage } from "./damage";

export interface RepairScope {
  /** Networks whose own objects are looked at: a bridge's addresses, a VLAN parent, a routed network's gateways and unreachable subnets. */
  networks: Set<string>;
  /** Workloads whose namespace, host ends and routed host routes are looked at. */
  workloads: Set<string>;
}

/**
 * undefined: look at everything. Only a bridge itself deleted or set down asks for it: all its
 * ports are hurt at once, and one dump is cheaper than one read per port.
 */
export function repairScope(damage: readonly Damage[], state: DesiredState): RepairScope | undefined {
  const scope: RepairScope = { networks: new Set(), workloads: new Set() };
  const links = new Set<string>();
  const netns = new Set<string>();
  for (const d of damage) (d.kind === "netns" ? netns : links).add(d.name);
  for (const d of damage) if (d.kind === "link" && state.networks.some((n) => n.driver === "bridge" && n.bridge === d.name)) return undefined;
  for (const n of state.networks) {
    const own = (n.driver === "bridge" && links.has(n.bridge)) || (n.vlanCreated && n.parent && links.has(n.parent)) || (n.driver === "routed" && (links.has("lo") || links.has("-")));
    if (own) scope.networks.add(n.id);
  }
  if (netns.size) for (const w of state.workloads) if (netns.has(w.netns)) scope.workloads.add(w.id);
  for (const a of state.attachments) if (a.hostIfname && links.has(a.hostIfname)) scope.workloads.add(a.workloadId);
  return scope;
}
