import { endpointPeerMatches, podPeerMatches } from "../match";
import type { NetworkPolicy, PolicyRule } from "../types";
import type { WorkloadView, WorldIndex } from "../world";

// What a change of the world (a workload's labels, addresses or ports, a workload added or gone,
// a namespace's labels) can reach in the compile cache (cache.ts): the namespaces it happened in
// (their subjects and elements) and the policies with a peer that selects a changed workload as
// it was or as it is (their peer addresses, and the elements of every namespace they are a
// candidate in). The rest is kept. Conservative where the dependence is wide: a rule that needs
// every workload's addresses (world, cluster, fromCIDR) or ports (egress named ports) is reached by
// any change of them, and an AdminNetworkPolicy by any change at all.

export interface WorldChange {
  /** Both views of every workload that came, went or differs (namespace labels included). */
  views: WorkloadView[];
  /** Namespaces holding one of them. */
  namespaces: Set<string>;
  /** Some workload address came or went. */
  addrs: boolean;
}

const sameRecord = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>) => {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
};
const sameAddrs = (a: WorkloadView, b: WorkloadView) => a.workload.ips.length === b.workload.ips.length && a.workload.ips.every((ip, i) => ip === b.workload.ips[i]);

function sameView(a: WorkloadView, b: WorkloadView): boolean {
  const pa = a.workload.ports, pb = b.workload.ports;
  // `node`: a workload that became another node's (or this one's) gains or loses its L7 listeners.
  return a.workload.node === b.workload.node && sameRecord(a.workload.labels, b.workload.labels) && sameRecord(a.namespaceLabels, b.namespaceLabels) && sameAddrs(a, b)
    && pa.length === pb.length && pa.every((p, i) => p.port === pb[i]!.port && p.protocol === pb[i]!.protocol && p.name === pb[i]!.name);
}

export function worldChange(before: WorldIndex, after: WorldIndex): WorldChange {
  const change: WorldChange = { views: [], namespaces: new Set(), addrs: false };
  const differs = (old: WorkloadView | undefined, now: WorkloadView | undefined) => {
    for (const v of [old, now]) if (v) (change.views.push(v), change.namespaces.add(v.workload.namespace));
    if (!old || !now ? (old ?? now)!.addrs.length > 0 : !sameAddrs(old, now)) change.addrs = true;
  };
  for (const [key, old] of before.byKey) {
    const now = after.byKey.get(key);
    if (!now || !sameView(old, now)) differs(old, now);
  }
  for (const [key, now] of after.byKey) if (!before.byKey.has(key)) differs(undefined, now);
  return change;
}

function ruleReached(rule: PolicyRule, policyNamespace: string, egress: boolean, c: WorldChange): boolean {
  // Egress named ports resolve on every destination workload the peers cover.
  if (egress && rule.ports.some((s) => typeof s.port === "string")) return true;
  return rule.peers.some((peer) => {
    switch (peer.kind) {
      case "pods": return c.views.some((v) => podPeerMatches(peer, policyNamespace, v));
      case "endpoints": return c.views.some((v) => endpointPeerMatches(peer, v));
      case "worldCidr": return c.addrs;
      case "entity": return c.addrs && (peer.entity === "world" || peer.entity === "cluster");
      default: return false;
    }
  });
}

/** Whether the policy's peer addresses (or egress named ports) may differ in the changed world. */
export function policyReached(p: NetworkPolicy, c: WorldChange): boolean {
  if (c.views.length === 0) return false;
  if (p.admin) return true;
  const reached = (rules: readonly PolicyRule[] | undefined, egress: boolean) => (rules ?? []).some((r) => ruleReached(r, p.namespace, egress, c));
  return reached(p.ingress, false) || reached(p.egress, true) || reached(p.ingressDeny, false) || reached(p.egressDeny, true);
}
