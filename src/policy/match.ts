import { cidrContains, parseCidr, type Addr } from "./cidr";
import { matchesSelector } from "./selector";
import type { NetworkPolicy, Peer, PolicyType, PortSpec, Protocol, WorldWorkload } from "./types";
import type { WorkloadView } from "./world";

// Direct, per-connection predicates of the semantics. evaluate.ts is built on these alone;
// compile.ts reaches the same answers through interval arithmetic, and the tests check that
// both agree cell by cell.

export const PROTOCOL_NUMBER: Record<Protocol, number> = { TCP: 6, UDP: 17, SCTP: 132 };

/** Does the policy isolate this workload in the direction given by `type`? */
export function isolates(policy: NetworkPolicy, type: PolicyType, subject: WorkloadView): boolean {
  return (
    policy.policyTypes.includes(type) &&
    policy.namespace === subject.workload.namespace &&
    matchesSelector(policy.podSelector, subject.workload.labels)
  );
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

export function peerMatches(peer: Peer, policyNamespace: string, w: WorkloadView | null, addr: Addr): boolean {
  if (peer.kind === "ipBlock") return ipBlockMatches(peer, addr);
  return w !== null && podPeerMatches(peer, policyNamespace, w);
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
