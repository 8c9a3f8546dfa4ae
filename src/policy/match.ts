import { cidrContains, parseCidr, type Addr } from "./plan/cidr";
import { matchesSelector } from "./selector";
import type { NetworkPolicy, Peer, PolicyType, PortSpec, Protocol, WorldWorkload } from "./types";
import { endpointLabels, type WorkloadView } from "./world";

// Direct, per-connection predicates of the semantics. evaluate.ts is built on these alone;
// compile.ts reaches the same answers through interval arithmetic, and the tests check that
// both agree cell by cell.

export const PROTOCOL_NUMBER: Record<Protocol, number> = { TCP: 6, UDP: 17, SCTP: 132 };

/** Does the policy isolate this workload in the direction given by `type`? */
export function isolates(policy: NetworkPolicy, type: PolicyType, subject: WorkloadView): boolean {
  if (!policy.policyTypes.includes(type)) return false;
  if (policy.kind === undefined || policy.kind === "NetworkPolicy") {
    return policy.namespace === subject.workload.namespace && matchesSelector(policy.podSelector, subject.workload.labels);
  }
  // Cilium: the endpointSelector sees namespace labels; a clusterwide policy spans namespaces.
  return (policy.namespace === "" || policy.namespace === subject.workload.namespace) && matchesSelector(policy.podSelector, endpointLabels(subject));
}

/** A pod/namespace peer matches a workload (never a bare address). */
export function podPeerMatches(peer: Extract<Peer, { kind: "pods" }>, policyNamespace: string, w: WorkloadView): boolean {
  const nsOk = peer.namespaceSelector === null
    ? w.workload.namespace === policyNamespace
    : matchesSelector(peer.namespaceSelector, w.namespaceLabels);
  return nsOk && (peer.podSelector === null || matchesSelector(peer.podSelector, w.workload.labels));
}

/** ipBlock: inside cidr and inside none of the excepts. Matches workload addresses too. */
export function ipBlockMatches(peer: Extract<Peer, { kind: "ipBlock" }>, addr: Addr): boolean {
  const cidr = parseCidr(peer.cidr);
  if (!cidr || !cidrContains(cidr, addr)) return false;
  return !peer.except.some((e) => {
    const c = parseCidr(e);
    return c !== null && cidrContains(c, addr);
  });
}

/** Cilium fromEndpoints/toEndpoints. */
export function endpointPeerMatches(peer: Extract<Peer, { kind: "endpoints" }>, w: WorkloadView): boolean {
  return (peer.namespace === null || peer.namespace === w.workload.namespace) && matchesSelector(peer.selector, endpointLabels(w));
}

export function peerMatches(peer: Peer, policyNamespace: string, w: WorkloadView | null, addr: Addr): boolean {
  switch (peer.kind) {
    case "ipBlock": return ipBlockMatches(peer, addr);
    case "pods": return w !== null && podPeerMatches(peer, policyNamespace, w);
    case "endpoints": return w !== null && endpointPeerMatches(peer, w);
    case "worldCidr": return w === null && ipBlockMatches({ kind: "ipBlock", cidr: peer.cidr, except: peer.except }, addr);
    case "entity":
      if (peer.entity === "all") return true;
      if (peer.entity === "world") return w === null;
      if (peer.entity === "cluster") return w !== null;
      return false; // host, remote-node: see Entity
    case "fqdn": return false; // learned at run time: the engine's FQDN table answers (engine/policy/fqdn-*)
  }
}

/**
 * A named port resolves on the destination workload: a declared port with that name AND
 * the rule's protocol. Without a destination workload it resolves to nothing.
 */
export function resolveNamedPort(name: string, protocol: Protocol, dst: WorldWorkload | null): number[] {
  if (!dst) return [];
  return dst.ports.filter((p) => p.name === name && p.protocol === protocol).map((p) => p.port);
}

export function portMatches(spec: PortSpec, protocol: Protocol, port: number, dst: WorldWorkload | null): boolean {
  if (spec.protocol !== protocol) return false;
  if (spec.port === undefined) return true;
  if (typeof spec.port === "string") return resolveNamedPort(spec.port, spec.protocol, dst).includes(port);
  return port >= spec.port && port <= (spec.endPort ?? spec.port);
}
