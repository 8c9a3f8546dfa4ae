// The NetworkPolicy model after parsing: every default applied, every "empty vs absent"
// distinction folded into one documented representation, so evaluation and compilation
// never look at raw input again.

export type Protocol = "TCP" | "UDP" | "SCTP";
export type Direction = "ingress" | "egress";
export type PolicyType = "Ingress" | "Egress";

export interface LabelRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values: string[];
}

/** A Kubernetes LabelSelector; both lists empty selects everything. */
export interface LabelSelector {
  matchLabels: Record<string, string>;
  matchExpressions: LabelRequirement[];
}

/**
 * A peer of a rule. `pods`: podSelector and/or namespaceSelector (both = AND).
 * podSelector null = every pod of the selected namespaces; namespaceSelector null = the
 * policy's own namespace only.
 */
export type Peer =
  | { kind: "pods"; podSelector: LabelSelector | null; namespaceSelector: LabelSelector | null }
  | { kind: "ipBlock"; cidr: string; except: string[] };

/** One entry of `ports`. port undefined = every port of the protocol; string = named port. */
export interface PortSpec {
  protocol: Protocol;
  port?: number | string;
  endPort?: number;
}

/** A rule; an EMPTY `peers` means every peer, an EMPTY `ports` means every port and protocol. */
export interface PolicyRule {
  peers: Peer[];
  ports: PortSpec[];
}

export interface NetworkPolicy {
  name: string;
  namespace: string;
  podSelector: LabelSelector;
  /** Defaulted as the API server does: Ingress always, Egress when egress rules exist. */
  policyTypes: PolicyType[];
  ingress: PolicyRule[];
  egress: PolicyRule[];
  /** From the `ponton.dev/log` annotation; absent = log denied traffic only. */
  log?: PolicyLog;
}

/** What a policy's decisions write to the policy log (and, for allowed, to NFLOG when flow logging is off). */
export interface PolicyLog {
  /** Traffic dropped by the default deny this policy takes part in. */
  denied: boolean;
  /** Connections admitted by any of its rules. */
  allowed: boolean;
  /** Connections admitted by these rules only ("ingress[0]", "egress[1]"). */
  rules: string[];
}

export interface WorldPort {
  name?: string;
  port: number;
  protocol: Protocol;
}

export interface WorldWorkload {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  ips: string[];
  ports: WorldPort[];
}

export interface PolicyWorld {
  namespaces: { name: string; labels: Record<string, string> }[];
  workloads: WorldWorkload[];
}

export interface RuleRef {
  policy: string; // "namespace/name"
  direction: Direction;
  ruleIndex: number;
}
