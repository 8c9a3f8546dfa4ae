// The shapes the UI reads from the API (docs/api.md); only the fields it uses.
export interface Endpoint {
  ip: string;
  port?: number;
  workload?: string;
  namespace?: string;
  labels?: Record<string, string>;
  network?: string;
  service?: string;
  host?: true;
}

export interface RuleRef {
  policy: string;
  direction: "ingress" | "egress";
  ruleIndex: number;
}

export interface Flow {
  seq: number;
  time: string;
  verdict: "FORWARDED" | "DROPPED" | "REJECTED";
  ipVersion: 4 | 6;
  protocol: string;
  source: Endpoint;
  destination: Endpoint;
  tcpFlags?: string[];
  interfaces: { in?: string; out?: string };
  direction?: "ingress" | "egress";
  dropReason?: string;
  summary: string;
  policies: string[];
  decisionId?: number;
  rule?: RuleRef;
  /** An HTTP request through the L7 proxy (a policy with rules.http). */
  l7?: { type: "http"; method: string; url: string; host?: string; status: number; latencyMs: number };
  /** A DNS query of a workload a DNS policy watches (CiliumNetworkPolicy rules.dns / toFQDNs). */
  dns?: { query: string; type: string; verdict: "ALLOWED" | "REFUSED"; rcode?: string; addresses?: string[]; opened?: string[] };
}

export interface Network {
  name: string;
  driver: string;
  bridge?: string;
  subnet4?: string;
  gateway4?: string;
  subnet6?: string;
  internal?: boolean;
}

export interface Workload {
  name: string;
  namespace: string;
  state: string;
  labels: Record<string, string>;
  replicaOf?: string;
  networks: { network: string; ifname?: string; hostIfname?: string; ip4?: string; ip6?: string }[];
}

export interface Service {
  name: string;
  namespace: string;
  vips?: string[];
  ports?: { port: number; protocol?: string }[];
  endpoints: { workload: string; ip: string; healthy: boolean }[];
  ready: number;
}

export interface Policy {
  name: string;
  namespace: string;
  podSelector: unknown;
  policyTypes: string[];
  ingressRules: number;
  egressRules: number;
  policy: unknown;
}

export interface Namespace {
  name: string;
  workloads: number;
  policies: number;
}

export interface WhatIfRow {
  seq: number;
  time: string;
  verdict: Flow["verdict"];
  from: string;
  to: string;
  port: number;
  protocol: string;
  allowedNow: boolean;
  allowedAfter: boolean;
  deniedBy: string[];
}

export interface WhatIf {
  policies: string[];
  considered: number;
  connections: number;
  wouldDeny: number;
  rows: WhatIfRow[];
}

/** A cluster node as `GET /v1/nodes` answers it (only in a cluster). */
export interface ClusterNode {
  name: string;
  address: string;
  status: "Ready" | "NotReady";
  workloads: number;
  blocks: string[];
  self: boolean;
}

/** One overlay route: a remote pod block through the VXLAN device to that node's address. */
export interface Tunnel {
  block: string;
  node: string;
  address: string;
}
