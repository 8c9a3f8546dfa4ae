// The NetworkPolicy model after parsing: every default applied, every "empty vs absent"
// distinction folded into one documented representation, so evaluation and compilation
// never look at raw input again.

import type { HttpRule } from "./l7-types";
import type { AdminAction, AdminSpec, PolicyTier } from "./admin/types";

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
  | { kind: "ipBlock"; cidr: string; except: string[] }
  /** Cilium fromEndpoints/toEndpoints: selector over endpoint labels (see endpointLabels); namespace null = any. */
  | { kind: "endpoints"; selector: LabelSelector; namespace: string | null }
  /** Cilium fromCIDR/toCIDRSet: like ipBlock but never a workload address (Cilium's CIDR identities are outside the cluster). */
  | { kind: "worldCidr"; cidr: string; except: string[] }
  | { kind: "entity"; entity: Entity }
  /** Cilium toFQDNs: the addresses Ponton's resolver returned to the subject for a matching name (learned at run time). */
  | { kind: "fqdn"; selectors: DnsMatch[] };

/** A Cilium DNS selector (toFQDNs, toPorts.rules.dns): exactly one of the two is set, lower case, no trailing dot. */
export interface DnsMatch {
  matchName?: string;
  matchPattern?: string;
}

/**
 * Cilium entities. host: host ↔ workload traffic is not policed (input/output hooks), so it
 * matches nothing in the forward path; remote-node: one host, so no remote nodes.
 */
export type Entity = "world" | "cluster" | "all" | "host" | "remote-node";

export type PolicyKind = "NetworkPolicy" | "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy" | "AdminNetworkPolicy" | "BaselineAdminNetworkPolicy";

/** One entry of `ports`. port undefined = every port of the protocol; string = named port. */
export interface PortSpec {
  protocol: Protocol;
  port?: number | string;
  endPort?: number;
  /** Cilium toPorts[].rules.http: connections on this port go through the L7 proxy (src/l7). */
  http?: HttpRule[];
}

/** A rule; an EMPTY `peers` means every peer, an EMPTY `ports` means every port and protocol. */
export interface PolicyRule {
  peers: Peer[];
  ports: PortSpec[];
  /** A Cilium rule with neither peers nor ports: it isolates but admits nothing. */
  empty?: true;
  /** Cilium toPorts[].rules.dns (egress to Ponton's resolver): the names the subject may resolve. */
  dns?: DnsMatch[];
}

export interface NetworkPolicy {
  /** Absent = NetworkPolicy. */
  kind?: PolicyKind;
  name: string;
  /** "" for a CiliumClusterwideNetworkPolicy (it selects in every namespace). */
  namespace: string;
  podSelector: LabelSelector;
  /** Defaulted as the API server does: Ingress always, Egress when egress rules exist. */
  policyTypes: PolicyType[];
  ingress: PolicyRule[];
  egress: PolicyRule[];
  /** Cilium ingressDeny/egressDeny: a match drops, whatever any allow rule says. */
  ingressDeny?: PolicyRule[];
  egressDeny?: PolicyRule[];
  /** From the `ponton.dev/log` annotation; absent = log denied traffic only. */
  log?: PolicyLog;
  /**
   * AdminNetworkPolicy / BaselineAdminNetworkPolicy (admin/): their tier, priority, subject and
   * ordered rules. Such a policy has no policyTypes and no NetworkPolicy rules, so it never
   * isolates: the tiers around NetworkPolicy read this field alone.
   */
  admin?: AdminSpec;
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
  /** Cluster mode: another node's workload (that node enforces its HTTP rules, as Cilium's do on the pod's node). */
  node?: string;
}

export interface PolicyWorld {
  namespaces: { name: string; labels: Record<string, string> }[];
  workloads: WorldWorkload[];
}

export interface RuleRef {
  policy: string; // policyKey(): "namespace/name", "cnp:namespace/name", "ccnp:name"
  direction: Direction;
  ruleIndex: number;
  /** Set for a rule of ingressDeny/egressDeny, and for an admin-tier rule whose action is Deny. */
  deny?: true;
  /** Admin-tier rules: their tier, action and (optional) name. */
  tier?: PolicyTier;
  action?: AdminAction;
  name?: string;
}
