// Pure: desired state -> the PolicyWorld the policy compiler and `explain` read.
import type { DesiredState } from "../../model/types";
import { DEFAULT_NAMESPACE } from "../../model/types";
import type { NetworkPolicy, PolicyWorld, WorldWorkload } from "../../policy";
import { crossesHost } from "../../model/networks/drivers";

/**
 * Every workload that holds addresses on a bridge network, with its namespace, labels and declared
 * ports. A workload being removed still holds its addresses until its links are gone, so it stays
 * in the world (and stays policed) until then.
 */
export function policyWorld(state: DesiredState): PolicyWorld {
  const bridged = new Set(state.networks.filter(crossesHost).map((n) => n.id));
  const ips = new Map<string, string[]>();
  for (const a of state.attachments) {
    if (!bridged.has(a.networkId)) continue;
    const list = ips.get(a.workloadId) ?? [];
    if (a.ip4) list.push(a.ip4);
    if (a.ip6) list.push(a.ip6);
    ips.set(a.workloadId, list);
  }
  const workloads: WorldWorkload[] = state.workloads.map((w) => ({
    name: w.name,
    namespace: w.namespace ?? DEFAULT_NAMESPACE,
    labels: w.labels,
    ips: ips.get(w.id) ?? [],
    ports: (w.exposes ?? []).map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, protocol: p.protocol })),
    ...(w.node !== undefined ? { node: w.node } : {}),
  }));
  return { namespaces: (state.namespaces ?? []).map((n) => ({ name: n.name, labels: n.labels })), workloads };
}

export function statePolicies(state: DesiredState): NetworkPolicy[] {
  return (state.policies ?? []).map((p) => p.policy);
}
