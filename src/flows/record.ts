// Pure: one NFLOG event (from bin/ponton-nflog) + what the daemon knows -> a flow record that
// says who talked to whom and why the packet went where it went.
import { DROP_LOG_GROUP, DROP_REASONS, FLOW_LOG_GROUP, POLICY_DROP_PREFIXES, userRulePrefix } from "../compile/flow-log";
import { adminRuleText, describeDecision, isDecisionMark, TIER_KINDS, type PolicyPlan, type RuleRef } from "../policy";
import { DEFAULT_NAMESPACE, type DesiredState } from "../model/types";
import { serviceVips } from "../model/services/service";
import { decodePacket, PROTOCOL_NAMES } from "./packet";

/** A line of ponton-nflog. */
export interface NflogEvent {
  /** NFLOG group. */
  g: number;
  /** Unix time, seconds. */
  t: number;
  /** Packet mark: a policy decision id (drops, and new flows where the ct mark was copied in). */
  m: number;
  in?: string;
  out?: string;
  /** Log prefix: names the drop chain. */
  p?: string;
  /** Packet bytes, hex. */
  x?: string;
}

export type Verdict = "FORWARDED" | "DROPPED" | "REJECTED";

export type DropReason = "POLICY_DENIED" | (typeof DROP_REASONS)[keyof typeof DROP_REASONS]["code"] | "USER_RULE" | "UNKNOWN";

export interface FlowEndpoint {
  ip: string;
  port?: number;
  workload?: string;
  namespace?: string;
  labels?: Record<string, string>;
  network?: string;
  /** The destination is a service VIP. */
  service?: string;
  /** This host, the other end of a connection with a workload. */
  host?: true;
}

export interface FlowRecord {
  /** Sequence number in this daemon's buffer (for --since and follow). */
  seq: number;
  time: string;
  verdict: Verdict;
  ipVersion: 4 | 6;
  protocol: string;
  source: FlowEndpoint;
  destination: FlowEndpoint;
  tcpFlags?: string[];
  icmp?: { type: number; code: number };
  interfaces: { in?: string; out?: string };
  /** The policy direction that decided (ingress: the destination's policies; egress: the source's). */
  direction?: "ingress" | "egress";
  dropReason?: DropReason;
  /** Why, in words: the deciding policy rule, the default deny and who isolates, or the engine rule. */
  summary: string;
  /** Policies that decided (allowed by, or isolated by). */
  policies: string[];
  /** The decision id the kernel carried (ct mark / meta mark), when there was one. */
  decisionId?: number;
  userRule?: { id: number; rule: string };
  /** For an allowed connection: the policy rule that admitted it. */
  rule?: RuleRef;
  /** An HTTP request through the L7 proxy (src/l7); absent on connection and drop records. */
  l7?: L7Part;
  /** A query to Ponton's resolver from a workload a DNS policy watches (protocol "dns"). */
  dns?: DnsFlow;
}

export interface L7Part {
  type: "http";
  method: string;
  url: string;
  host?: string;
  /** What the client got: 403 when no HTTP rule allows it. */
  status: number;
  latencyMs: number;
}

/** The L7 part of a DNS flow: the name, the policy's verdict and what the answer opened. */
export interface DnsFlow {
  query: string;
  type: string;
  /** REFUSED: no rules.dns of the client's policies allows the name. */
  verdict: "ALLOWED" | "REFUSED";
  rcode?: string;
  /** A/AAAA addresses of the answer; those a toFQDNs rule opened are in `opened`. */
  addresses?: string[];
  opened?: string[];
  /** The rule's pattern that allowed the name (`matchPattern: *.example.com`). */
  match?: string;
}

/** What a record is resolved against: built from one state and the plan committed with it. */
export interface FlowDirectory {
  byIp: Map<string, FlowEndpoint>;
  vips: Map<string, string>;
  bridges: Map<string, string>;
  userRules: Map<string, { id: number; rule: string }>;
  policy: PolicyPlan | undefined;
}

export function flowDirectory(state: DesiredState, policy: PolicyPlan | undefined): FlowDirectory {
  const networks = new Map(state.networks.map((n) => [n.id, n]));
  const workloads = new Map(state.workloads.map((w) => [w.id, w]));
  const byIp = new Map<string, FlowEndpoint>();
  for (const a of state.attachments) {
    const w = workloads.get(a.workloadId);
    if (!w) continue;
    const info = { workload: w.name, namespace: w.namespace ?? DEFAULT_NAMESPACE, labels: w.labels, network: networks.get(a.networkId)?.name ?? "" };
    if (a.ip4) byIp.set(a.ip4, { ip: a.ip4, ...info });
    if (a.ip6) byIp.set(a.ip6, { ip: a.ip6, ...info });
  }
  return {
    byIp,
    vips: new Map((state.services ?? []).flatMap((s) => serviceVips(s).map((v) => [v, s.name] as [string, string]))),
    bridges: new Map([
      ...state.networks.filter((n) => n.driver === "bridge").map((n) => [n.bridge, n.name] as [string, string]),
      // A routed network's workload veths stand where a bridge would.
      ...state.attachments.filter((a) => networks.get(a.networkId)?.driver === "routed").map((a) => [a.hostIfname, networks.get(a.networkId)!.name] as [string, string]),
    ]),
    userRules: new Map(state.userRules.map((r) => [userRulePrefix(r.id), { id: r.id, rule: r.rule }])),
    policy,
  };
}

const ENGINE_REASONS = new Map(Object.values(DROP_REASONS).map((r) => [r.prefix as string, r]));

type Decision = Pick<FlowRecord, "verdict" | "direction" | "dropReason" | "summary" | "policies" | "decisionId" | "userRule" | "rule">;

/** The verdict and its reason, from the group, prefix and mark. */
function decide(e: NflogEvent, dir: FlowDirectory): Decision {
  const mark = isDecisionMark(e.m) ? e.m : undefined;
  const entry = mark && dir.policy ? describeDecision(dir.policy, mark) : undefined;
  if (e.g === FLOW_LOG_GROUP) {
    if (entry?.kind === "allow") {
      const r = entry.rule;
      const by = r.tier ? `${TIER_KINDS[r.tier]} ${adminRuleText(r)}` : `${r.policy} ${r.direction}[${r.ruleIndex}]`;
      return { verdict: "FORWARDED", direction: r.direction, summary: `allowed by ${by}`, policies: [r.policy], decisionId: mark, rule: r };
    }
    return { verdict: "FORWARDED", summary: mark ? `allowed (decision ${mark} is not in the current policies)` : "allowed: no policy selects either end", policies: [] };
  }
  const prefix = e.p ?? "";
  const policyDirection = POLICY_DROP_PREFIXES[prefix];
  if (policyDirection) {
    if (entry?.kind === "denyRule") {
      const r = entry.rule;
      const by = r.tier ? `${TIER_KINDS[r.tier]} ${adminRuleText(r)}` : `${r.policy} ${r.direction}Deny[${r.ruleIndex}]`;
      return { verdict: "DROPPED", direction: policyDirection, dropReason: "POLICY_DENIED", summary: `denied by ${by}`, policies: [r.policy], decisionId: mark, rule: r };
    }
    const isolatedBy = entry?.kind === "deny" ? entry.policies : [];
    const summary = isolatedBy.length ? `default deny (${policyDirection}): isolated by ${isolatedBy.join(", ")} and no rule admits it` : `policy drop (decision ${mark} is not in the current policies)`;
    return { verdict: "DROPPED", direction: policyDirection, dropReason: "POLICY_DENIED", summary, policies: isolatedBy, decisionId: mark };
  }
  const engine = ENGINE_REASONS.get(prefix);
  if (engine) return { verdict: engine.verdict, dropReason: engine.code, summary: engine.text, policies: [] };
  const user = dir.userRules.get(prefix);
  if (user) {
    const verdict: Verdict = /\breject\b/.test(user.rule) ? "REJECTED" : "DROPPED";
    return { verdict, dropReason: "USER_RULE", summary: `user hook rule ${user.id}: ${user.rule}`, policies: [], userRule: user };
  }
  return { verdict: "DROPPED", dropReason: "UNKNOWN", summary: `logged with prefix '${prefix.trim()}' (rule no longer present)`, policies: [] };
}

export function isFlowGroup(g: number): boolean {
  return g === FLOW_LOG_GROUP || g === DROP_LOG_GROUP;
}

/** undefined when the payload is not an IP packet we can read. */
export function toFlowRecord(e: NflogEvent, dir: FlowDirectory, seq: number): FlowRecord | undefined {
  const h = e.x ? decodePacket(Buffer.from(e.x, "hex")) : undefined;
  if (!h) return undefined;
  // A new connection logged with no input interface left this host (output hook); with no output
  // interface it was addressed to this host (input hook). Forwarded ones have both.
  const hostEnd = e.g === FLOW_LOG_GROUP ? { source: !e.in, destination: !e.out } : { source: false, destination: false };
  const end = (ip: string, port: number | undefined, host: boolean): FlowEndpoint => {
    const known = dir.byIp.get(ip);
    const service = dir.vips.get(ip);
    return { ...(known ?? { ip }), ...(port !== undefined ? { port } : {}), ...(service ? { service } : {}), ...(host && !known ? { host: true as const } : {}) };
  };
  // A bridge is shown with its network's name.
  const named = (ifname: string) => (dir.bridges.has(ifname) ? `${ifname} (${dir.bridges.get(ifname)})` : ifname);
  const interfaces = { ...(e.in ? { in: named(e.in) } : {}), ...(e.out ? { out: named(e.out) } : {}) };
  return {
    seq,
    time: new Date(e.t * 1000).toISOString(),
    ipVersion: h.ipVersion,
    protocol: PROTOCOL_NAMES[h.protocol] ?? String(h.protocol),
    source: end(h.src, h.sport, hostEnd.source),
    destination: end(h.dst, h.dport, hostEnd.destination),
    ...(h.tcpFlags ? { tcpFlags: h.tcpFlags } : {}),
    ...(h.icmp ? { icmp: h.icmp } : {}),
    interfaces,
    ...decide(e, dir),
  };
}
