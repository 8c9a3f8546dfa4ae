import { formatAddr, parseAddr, rangeToCidrs, type Family } from "./cidr";
import type { Interval } from "./intervals";
import { resolveNamedPort } from "../match";
import type { NftSet } from "./plan";
import type { HttpRule } from "../l7-types";
import type { PolicyRule, PortSpec, RuleRef } from "../types";
import type { WorkloadView } from "../world";

// Cilium HTTP rules -> what the L7 proxy (src/l7) serves and the nft sets that send it exactly
// those connections. A workload port some ingress rule guards with `rules.http` gets a listener;
// every ingress rule admitting that port contributes its peers with its HTTP rules, or with
// none (every request) when its port entry has no L7 part (Cilium's wildcard for L4-only peers).
// Each of the workload's addresses, IPv4 and IPv6, gets its own listener with that family's peers.
// Egress (Cilium polices the client's requests): a listener per client address and port, IPv4
// and IPv6, its sources the rules' destinations; the client's connections reach it by TPROXY
// (compile/l7-chains.ts), so its socket's own address is the original destination. The same
// clients and ports are listed for the forward hook to drop what was not proxied (L7_NOT_PROXIED).

/** The proxy workers' group id (HAProxy's `gid`): nft tells the proxy's own connections by it. */
export const L7_PROXY_GID = 151510;

/** The proxy's ports: listener i of the sorted list listens on L7_BASE_PORT + i. */
export const L7_BASE_PORT = 15100;

export const L7_SETS = {
  ports4: "l7_ports4",
  ports6: "l7_ports6",
  redirect4: "l7_redirect4",
  redirect6: "l7_redirect6",
  listen: "l7_listen",
  /** Egress: client address . destination port. */
  egress4: "l7e_ports4",
  egress6: "l7e_ports6",
  egressRedirect4: "l7e_redirect4",
  egressRedirect6: "l7e_redirect6",
} as const;

/** Who may send requests through one listener, and which. */
export interface L7Source {
  /** The peers' addresses as CIDR blocks, of the listener's family (egress: the destinations). */
  cidrs: string[];
  /** Connections from this host itself (the proxy knows the host's addresses, compile does not). */
  host?: true;
  /** undefined: every request (an L4-only rule admits these peers on this port). */
  http?: HttpRule[];
  /** undefined: the host's requests where no rule names the host (host traffic is not policed at L3/L4). */
  rule?: RuleRef;
}

export interface L7Listener {
  listen: number;
  /** The workload's address (IPv4 or IPv6); egress: the client's. */
  ip: string;
  /** egress: connections from `ip` to any destination on `port`. */
  direction: "ingress" | "egress";
  port: number;
  /** "namespace/name" of the workload behind it. */
  workload: string;
  sources: L7Source[];
}

export interface L7RuleInput {
  ref: RuleRef;
  rule: PolicyRule;
  /** The rule's peers of family f (no peers = every address). */
  addrs(f: Family): Interval[];
}

/** The TCP port entries of a rule that admit port `port` on `subject` (rule.ports empty: all). */
function covering(rule: PolicyRule, port: number, subject: WorkloadView): PortSpec[] | "all" {
  if (rule.ports.length === 0) return "all";
  return rule.ports.filter((s) => {
    if (s.protocol !== "TCP") return false;
    if (s.port === undefined) return true;
    if (typeof s.port === "string") return resolveNamedPort(s.port, "TCP", subject.workload).includes(port);
    return port >= s.port && port <= (s.endPort ?? s.port);
  });
}

/** A rule whose peers take in this host (`fromEntities: host` or `all`, or no peers at all). */
const namesHost = (rule: PolicyRule) => rule.peers.length === 0 || rule.peers.some((p) => p.kind === "entity" && (p.entity === "host" || p.entity === "all"));

/** Listeners of one subject (an ingress-isolated workload) from its rules in rank order. */
export function subjectListeners(subject: WorkloadView, direction: "ingress" | "egress", rules: L7RuleInput[]): Omit<L7Listener, "listen">[] {
  // Another node's workload: its node proxies its connections, from every node (l7-from-node.ts);
  // this node forwards them to it untouched (its L3/L4 policy still runs here).
  if (subject.workload.node !== undefined) return [];
  const ports = new Set<number>();
  for (const r of rules) for (const s of r.rule.ports) if (s.http && typeof s.port === "number") ports.add(s.port);
  if (ports.size === 0) return [];
  const out: Omit<L7Listener, "listen">[] = [];
  for (const port of [...ports].sort((a, b) => a - b)) {
    for (const a of subject.addrs) {
      const sources: L7Source[] = [];
      for (const r of rules) {
        const specs = covering(r.rule, port, subject);
        if (specs !== "all" && specs.length === 0) continue;
        const cidrs = r.addrs(a.family).flatMap((i) => rangeToCidrs(a.family, i.lo, i.hi));
        const l7 = specs === "all" || specs.some((s) => !s.http) ? undefined : specs.flatMap((s) => s.http!);
        sources.push({ cidrs, ...(l7 ? { http: l7 } : {}), rule: r.ref });
        if (direction === "ingress" && namesHost(r.rule)) sources.push({ cidrs: [], host: true, ...(l7 ? { http: l7 } : {}), rule: r.ref });
      }
      // The host reaches workloads whatever the policy (Ponton does not police it at L3/L4, as
      // Cilium's allow-localhost): unless a rule names it, every request of the host passes.
      if (direction === "ingress" && !sources.some((s) => s.host)) sources.push({ cidrs: [], host: true });
      out.push({ ip: formatAddr(a.family, a.value), port, direction, workload: `${subject.workload.namespace}/${subject.workload.name}`, sources });
    }
  }
  return out;
}

/** Numbers the listeners (ingress then egress, IPv4 then IPv6, each by address and port) and builds the nft sets. */
export function l7Plan(all: Omit<L7Listener, "listen">[]): { listeners: L7Listener[]; sets: NftSet[] } {
  const key = (l: Omit<L7Listener, "listen">) => parseAddr(l.ip)!;
  const sorted = [...all].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    if (a.direction !== b.direction) return a.direction === "ingress" ? -1 : 1;
    return x.family !== y.family ? x.family - y.family : x.value !== y.value ? (x.value < y.value ? -1 : 1) : a.port - b.port;
  });
  const numbered = sorted.map((l, i) => ({ listen: L7_BASE_PORT + i, ...l }));
  const of = (f: Family, direction = "ingress") => numbered.filter((l) => l.direction === direction && key(l).family === f);
  const sets: NftSet[] = [
    { name: L7_SETS.ports4, kind: "set", type: "ipv4_addr . inet_service", elements: of(4).map((l) => `${l.ip} . ${l.port}`) },
    { name: L7_SETS.ports6, kind: "set", type: "ipv6_addr . inet_service", elements: of(6).map((l) => `${l.ip} . ${l.port}`) },
    { name: L7_SETS.redirect4, kind: "map", type: "ipv4_addr . inet_service : inet_service", elements: of(4).map((l) => `${l.ip} . ${l.port} : ${l.listen}`) },
    { name: L7_SETS.redirect6, kind: "map", type: "ipv6_addr . inet_service : inet_service", elements: of(6).map((l) => `${l.ip} . ${l.port} : ${l.listen}`) },
    { name: L7_SETS.listen, kind: "set", type: "inet_service", elements: numbered.map((l) => String(l.listen)) },
    { name: L7_SETS.egress4, kind: "set", type: "ipv4_addr . inet_service", elements: of(4, "egress").map((l) => `${l.ip} . ${l.port}`) },
    { name: L7_SETS.egressRedirect4, kind: "map", type: "ipv4_addr . inet_service : inet_service", elements: of(4, "egress").map((l) => `${l.ip} . ${l.port} : ${l.listen}`) },
    { name: L7_SETS.egress6, kind: "set", type: "ipv6_addr . inet_service", elements: of(6, "egress").map((l) => `${l.ip} . ${l.port}`) },
    { name: L7_SETS.egressRedirect6, kind: "map", type: "ipv6_addr . inet_service : inet_service", elements: of(6, "egress").map((l) => `${l.ip} . ${l.port} : ${l.listen}`) },
  ];
  return { listeners: numbered, sets };
}
