// Pure: desired state -> where the embedded DNS listens and whom each listener answers. A gateway
// answers its own network's subnets only (the host is not an open resolver for anything that can
// route to a gateway), and an --internal network's gateway answers local names only.
import type { DesiredState } from "../../model/types";
import { crossesHost } from "../../model/networks/drivers";

export interface DnsListenerPlan {
  address: string;
  /** Source prefixes answered; everyone else gets REFUSED. */
  clients: string[];
  /** --internal: nothing forwarded upstream, nothing from the shared cache. */
  sealed: boolean;
}

export function dnsListenerPlans(state: DesiredState): DnsListenerPlan[] {
  return state.networks.flatMap((n) => {
    if (!crossesHost(n)) return [];
    const clients = [n.subnet4, n.subnet6].filter((s): s is string => !!s);
    return [n.gateway4, n.gateway6].filter((g): g is string => !!g).map((address) => ({ address, clients, sealed: n.internal }));
  });
}

/** Two plans for one address differ: the listener is opened again with the new one. */
export function samePlan(a: DnsListenerPlan, b: DnsListenerPlan): boolean {
  return a.sealed === b.sealed && a.clients.join(",") === b.clients.join(",");
}

/**
 * Workload addresses on --internal networks. Such an address can ask only its network's (sealed)
 * listener, whatever view it asks in: a workload on an internal and another network keeps local
 * names only there, and forwards through the other network's gateway.
 */
export function sealedClients(state: DesiredState): Set<string> {
  const internal = new Set(state.networks.filter((n) => n.internal).map((n) => n.id));
  const out = new Set<string>();
  if (internal.size === 0) return out;
  for (const a of state.attachments) if (internal.has(a.networkId)) for (const ip of [a.ip4, a.ip6]) if (ip) out.add(ip);
  return out;
}
