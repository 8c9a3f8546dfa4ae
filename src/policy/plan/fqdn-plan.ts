import { formatAddr, parseAddr } from "./cidr";
import { firstDnsMatch } from "../cilium/dns-match";
import { PROTOCOL_NUMBER } from "../match";
import type { DnsMatch, NetworkPolicy, PolicyRule, RuleRef } from "../types";

// The DNS side of the plan: per workload address (as the resolver sees its client), the
// `rules.dns` that police its queries and the `toFQDNs` rules whose answers open egress.
// Learned addresses go in four dynamic maps the egress chain looks up after the static allow
// maps (the deny rules still win). Their elements carry a timeout (TTL + grace), so the kernel
// expires them alone and keeps them across a pontond restart; pontond reads them back at start.
//
//   pol_fqdn_port_v{4,6}: subject . address . l4proto . dport : rule id   (toFQDNs with toPorts)
//   pol_fqdn_any_v{4,6}:  subject . address : rule id                     (toFQDNs without ports)

export const FQDN_MAP = {
  port4: "pol_fqdn_port_v4",
  port6: "pol_fqdn_port_v6",
  any4: "pol_fqdn_any_v4",
  any6: "pol_fqdn_any_v6",
} as const;
export const FQDN_MAP_SIZE = 65535;

export interface DnsRuleEntry {
  ref: RuleRef;
  id: number;
  matches: DnsMatch[];
}

export interface FqdnRuleEntry {
  ref: RuleRef;
  id: number;
  selectors: DnsMatch[];
  /** (protocol number, port) pairs; "any" = every protocol and port. */
  ports: [number, number][] | "any";
}

export interface DnsSubject {
  /** Present when a policy isolating the subject in egress has DNS rules: only names they match resolve. */
  dns?: DnsRuleEntry[];
  fqdn: FqdnRuleEntry[];
}

export interface DnsPlan {
  /** By subject address, canonical text (formatAddr). */
  subjects: Record<string, DnsSubject>;
}

export interface RankedDnsRule {
  ref: RuleRef;
  rule: PolicyRule;
  policy: NetworkPolicy;
}

/** The ports a toFQDNs rule opens (its endPort ranges are small: parse checked them). */
function fqdnPorts(rule: PolicyRule): FqdnRuleEntry["ports"] {
  if (rule.ports.length === 0) return "any";
  const out: [number, number][] = [];
  for (const s of rule.ports) {
    const proto = PROTOCOL_NUMBER[s.protocol];
    if (s.port === undefined) return "any"; // Cilium: port 0 = every port (of the protocol; ANY covers all three)
    if (typeof s.port === "string") continue;
    for (let p = s.port; p <= (s.endPort ?? s.port); p++) out.push([proto, p]);
  }
  return out;
}

/**
 * Subjects' DNS view, from their isolating egress policies' rules in rank order.
 * `rulesOf` lists a policy's (non-empty) egress rules; `idOf` gives a rule's allow id.
 */
export function compileDnsPlan(
  subjects: { addrs: { family: 4 | 6; value: bigint }[]; isolating: NetworkPolicy[] }[],
  rulesOf: (policy: NetworkPolicy) => RankedDnsRule[],
  idOf: (ref: RuleRef) => number,
): DnsPlan | undefined {
  const out: Record<string, DnsSubject> = {};
  let any = false;
  for (const s of subjects) {
    const dns: DnsRuleEntry[] = [];
    const fqdn: FqdnRuleEntry[] = [];
    for (const p of s.isolating) {
      for (const r of rulesOf(p)) {
        if (r.rule.dns) dns.push({ ref: r.ref, id: idOf(r.ref), matches: r.rule.dns });
        const selectors = r.rule.peers.flatMap((peer) => (peer.kind === "fqdn" ? peer.selectors : []));
        if (selectors.length) fqdn.push({ ref: r.ref, id: idOf(r.ref), selectors, ports: fqdnPorts(r.rule) });
      }
    }
    if (dns.length === 0 && fqdn.length === 0) continue;
    any = true;
    const entry: DnsSubject = { ...(dns.length ? { dns } : {}), fqdn };
    for (const a of s.addrs) out[formatAddr(a.family, a.value)] = entry;
  }
  return any ? { subjects: out } : undefined;
}

/** A client address in the plan's form ("::ffff:10.0.0.2" is the IPv4 client 10.0.0.2). */
export function canonicalClient(address: string): string | undefined {
  const a = parseAddr(address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address);
  return a ? formatAddr(a.family, a.value) : undefined;
}

export type DnsVerdict =
  | { policed: false }
  | { policed: true; allowed: true; ref: RuleRef; id: number; match: DnsMatch }
  | { policed: true; allowed: false };

/** May this client resolve this (normalized) name? Unpoliced clients resolve everything. */
export function dnsVerdict(plan: DnsPlan | undefined, client: string, name: string): DnsVerdict {
  const rules = plan?.subjects[client]?.dns;
  if (!rules) return { policed: false };
  for (const r of rules) {
    const match = firstDnsMatch(r.matches, name);
    if (match) return { policed: true, allowed: true, ref: r.ref, id: r.id, match };
  }
  return { policed: true, allowed: false };
}

/** One learned element: `key` in nft element syntax, data = the toFQDNs rule's id. */
export interface FqdnElement {
  set: string;
  key: string;
  id: number;
  ref: RuleRef;
  /** Seconds the element lives: the record's TTL plus the grace period. */
  ttl: number;
  address: string;
}

/**
 * The elements one answer opens: for each address of the answer, every toFQDNs rule of the client
 * whose selectors match the name, in rank order; a key opened by two rules carries the first's id.
 */
export function fqdnElements(plan: DnsPlan | undefined, client: string, name: string, answers: readonly { address: string; ttl: number }[], graceSeconds: number): FqdnElement[] {
  const rules = plan?.subjects[client]?.fqdn;
  if (!rules?.length) return [];
  const matching = rules.filter((r) => firstDnsMatch(r.selectors, name));
  if (matching.length === 0) return [];
  const family = client.includes(":") ? 6 : 4;
  const seen = new Set<string>();
  const out: FqdnElement[] = [];
  for (const a of answers) {
    const addr = parseAddr(a.address);
    if (!addr || addr.family !== family) continue;
    const address = formatAddr(addr.family, addr.value);
    const ttl = Math.max(1, Math.floor(a.ttl)) + graceSeconds;
    for (const r of matching) {
      const keys: [string, string][] = r.ports === "any"
        ? [[family === 4 ? FQDN_MAP.any4 : FQDN_MAP.any6, `${client} . ${address}`]]
        : r.ports.map(([proto, port]) => [family === 4 ? FQDN_MAP.port4 : FQDN_MAP.port6, `${client} . ${address} . ${proto} . ${port}`]);
      for (const [set, key] of keys) {
        if (seen.has(`${set} ${key}`)) continue;
        seen.add(`${set} ${key}`);
        out.push({ set, key, id: r.id, ref: r.ref, ttl, address });
      }
    }
  }
  return out;
}

/** The egress chain's lookups of the learned maps (after the static allow maps, before the default deny). */
export function fqdnLookupRules(): string[] {
  return [
    `ct mark set ip saddr . ip daddr . meta l4proto . th dport map @${FQDN_MAP.port4} return`,
    `ct mark set ip6 saddr . ip6 daddr . meta l4proto . th dport map @${FQDN_MAP.port6} return`,
    `ct mark set ip saddr . ip daddr map @${FQDN_MAP.any4} return`,
    `ct mark set ip6 saddr . ip6 daddr map @${FQDN_MAP.any6} return`,
  ];
}

/** Declarations of the four maps: no elements in the plan (the resolver writes them). */
export function fqdnSets(): { name: string; kind: "map"; type: string; flags: string[]; size: number; elements: string[] }[] {
  const a = (f: 4 | 6) => (f === 4 ? "ipv4_addr" : "ipv6_addr");
  return [
    { name: FQDN_MAP.port4, kind: "map", type: `${a(4)} . ${a(4)} . inet_proto . inet_service : mark`, flags: ["timeout"], size: FQDN_MAP_SIZE, elements: [] },
    { name: FQDN_MAP.port6, kind: "map", type: `${a(6)} . ${a(6)} . inet_proto . inet_service : mark`, flags: ["timeout"], size: FQDN_MAP_SIZE, elements: [] },
    { name: FQDN_MAP.any4, kind: "map", type: `${a(4)} . ${a(4)} : mark`, flags: ["timeout"], size: FQDN_MAP_SIZE, elements: [] },
    { name: FQDN_MAP.any6, kind: "map", type: `${a(6)} . ${a(6)} : mark`, flags: ["timeout"], size: FQDN_MAP_SIZE, elements: [] },
  ];
}
