// Pure: permanent neighbour entries for both ends of a workload's link to its bridge.
//
// Ponton hands out every address and MAC, so neither side need ask for the other's: permanent
// entries send no ARP/ND and, unlike learned ones, do not count toward the kernel's neighbour
// table limit (gc_thresh3, 1,024 by default and shared by every namespace of the machine), which
// thousands of workloads' gateway entries would otherwise overflow. Bridge networks only: the
// gateway is the bridge, whose MAC Ponton fixes (bridgeLines).
import type { Attachment, Network } from "../model/types";
import { macFor } from "./names";

/** A workload's addresses on a bridge network; none on other drivers (routed: compile/routed.ts; macvlan/ipvlan: their gateway is not ours). */
const addresses = (a: Attachment, n: Network): string[] => (n.driver === "bridge" ? [a.ip4, a.ip6].filter((ip): ip is string => !!ip) : []);

/** The host's entries for the workload, on the bridge (after the port has joined it). */
export function hostNeighbourLines(a: Attachment, n: Network): string[] {
  return addresses(a, n).map((ip) => `neigh replace ${ip} lladdr ${a.mac} dev ${n.bridge} nud permanent`);
}

/** Forgets the host's entries of a departing attachment (the bridge outlives it); nothing to flush is success. */
export function forgetHostNeighbourLines(a: Attachment, n: Network): string[] {
  return addresses(a, n).map((ip) => `neigh flush to ${ip} dev ${n.bridge} nud permanent`);
}

/** The workload's entries for its gateway (inside its namespace, once its interface is up). */
export function gatewayNeighbourLines(a: Attachment, n: Network): string[] {
  // A routed network's host veths all carry this MAC too (compile/routed.ts).
  if (n.driver !== "bridge" && n.driver !== "routed") return [];
  const mac = macFor(undefined, n.id);
  return [
    ...(a.ip4 && n.gateway4 ? [`neigh replace ${n.gateway4} lladdr ${mac} dev ${a.ifname} nud permanent`] : []),
    ...(a.ip6 && n.gateway6 ? [`neigh replace ${n.gateway6} lladdr ${mac} dev ${a.ifname} nud permanent`] : []),
  ];
}
