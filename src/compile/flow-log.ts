// Where verdicts are logged to NFLOG, and under which prefix: the collector (src/flows) reads the
// prefix back to name the reason. Pure text; the groups and prefixes are the contract.
import { POLICY_LOG_PREFIX, policyKey, type NetworkPolicy, type PolicyPlan } from "../policy";

/** The chain that writes a new connection's flow record (jumped to from flow_log and flow_log_host_in). */
export const FLOW_RECORD_CHAIN = "flow_record";

/** Dropped or rejected packets (every drop chain, rate-limited). The policy compiler uses it too. */
export const DROP_LOG_GROUP = 2;
/** First packet of every new forwarded connection to or from a workload. */
export const FLOW_LOG_GROUP = 3;
/** Per drop chain: a flood is logged at most this fast (the drops still happen, and are counted). */
export const DROP_LOG_RATE = 1000;
/** New connections logged per second at most (a connection flood must not exhaust the daemon). */
export const FLOW_LOG_RATE = 20000;

/** Each engine drop chain: its reason code in flow records, NFLOG prefix and verdict (the policy chains log their own). */
export const DROP_REASONS = {
  isolation: { code: "NETWORK_ISOLATION", chain: "drop_isolation", prefix: "net-isolation ", verdict: "DROPPED", text: "isolation between networks (no --route-to between them)" },
  iccOff: { code: "ICC_OFF", chain: "drop_icc_off", prefix: "icc-off ", verdict: "DROPPED", text: "traffic between workloads of this network is off (--no-icc)" },
  internal: { code: "INTERNAL_NETWORK", chain: "drop_internal", prefix: "net-internal ", verdict: "DROPPED", text: "internal network: no traffic in or out" },
  notPublished: { code: "NOT_PUBLISHED", chain: "drop_not_published", prefix: "not-published ", verdict: "DROPPED", text: "inbound to a workload on a port that is not published" },
  allowFrom: { code: "ALLOW_FROM", chain: "drop_allow_from", prefix: "allow-from ", verdict: "DROPPED", text: "source not in the published port's --allow-from list" },
  forgedLocalhost: { code: "FORGED_LOCALHOST", chain: "drop_forged_localhost", prefix: "forged-localhost ", verdict: "DROPPED", text: "packet to 127.0.0.0/8 from a workload network (forged)" },
  invalid: { code: "CT_INVALID", chain: "drop_invalid", prefix: "ct-invalid ", verdict: "DROPPED", text: "packet from a workload that conntrack cannot place (a stray RST…): it would leave un-NATed" },
  foreignForward: { code: "FOREIGN_FORWARD", chain: "drop_foreign_forward", prefix: "foreign-forward ", verdict: "DROPPED", text: "forwarded between interfaces Ponton does not own (pontond --forward-others drop)" },
  hostAccess: { code: "NO_HOST_ACCESS", chain: "drop_host_access", prefix: "no-host-access ", verdict: "DROPPED", text: "workload to this host from a --no-host-access network (only DNS to the gateway is open)" },
  l7Bypass: { code: "L7_NOT_PROXIED", chain: "drop_l7_bypass", prefix: "l7-bypass ", verdict: "DROPPED", text: "to a port guarded by HTTP rules by a path the L7 proxy does not take or to the proxy itself" },
  noEndpoint: { code: "NO_ENDPOINT", chain: "svc_reject", prefix: "svc-no-endpoint ", verdict: "REJECTED", text: "service has no ready endpoint" },
} as const;

export type DropReasonKey = keyof typeof DROP_REASONS;

/**
 * Named counters around every rate-limited log statement: the packets that reached one, and those
 * it logged (the statements after `limit` run only within budget). seen − logged is the records
 * the limit dropped, which pontond reports as lost (engine/flows/log-budget.ts), never silently.
 */
export const LOG_COUNTERS = { dropSeen: "log_drop_seen", dropLogged: "log_drop_logged", flowSeen: "log_flow_seen", flowLogged: "log_flow_logged" } as const;

/** Their declarations in the table's body. */
export const LOG_COUNTER_DECLS = Object.values(LOG_COUNTERS).map((n) => `  counter ${n} { }`);

/** `limit` between the two counters of its kind. */
export const countedLimit = (kind: "drop" | "flow", limit: string) => `counter name "${LOG_COUNTERS[`${kind}Seen`]}" ${limit} counter name "${LOG_COUNTERS[`${kind}Logged`]}"`;

const limited = (prefix: string) => `${countedLimit("drop", `limit rate ${DROP_LOG_RATE}/second burst ${DROP_LOG_RATE} packets`)} log prefix "${prefix}" group ${DROP_LOG_GROUP}`;

/** A chain that logs (within budget) and drops: its own rule, so a spent budget never skips the drop. */
export function dropChain(key: Exclude<DropReasonKey, "noEndpoint">): string {
  const r = DROP_REASONS[key];
  return `  chain ${r.chain} {\n    ${limited(r.prefix)}\n    counter drop\n  }`;
}

export function logRule(key: DropReasonKey): string {
  return limited(DROP_REASONS[key].prefix);
}

/**
 * Rules of `flow_record` (jumped to for each new connection through a workload bridge, forwarded
 * or between the host and a workload): the
 * connection's first packet (and only it) goes to NFLOG with the admitting policy rule's id. The kernel here has no
 * conntrack glue for NFLOG, so the id (ct mark) is copied into the packet mark for the log
 * statement and the mark is put back to 0 in the same rule; a packet that came with a mark of
 * its own keeps it and is logged without the id.
 */
export function flowRecordRules(on: boolean, ctLabels = true): string[] {
  const budget = countedLimit("flow", `limit rate ${FLOW_LOG_RATE}/second burst ${FLOW_LOG_RATE} packets`);
  const withId = `meta mark 0 ${budget} meta mark set ct mark log group ${FLOW_LOG_GROUP} meta mark set 0`;
  // Off: only connections admitted by rules whose policy asks for it (ponton.dev/log).
  const logs = on ? [`${withId} return`, `meta mark != 0 ${budget} log group ${FLOW_LOG_GROUP}`] : [`ct mark @flow_log_ids ${withId}`];
  return [...(ctLabels ? ONCE_PER_CONNECTION : []), ...logs];
}

/**
 * Conntrack calls every packet "new" until the first answer, so a one-way UDP stream came here per
 * packet: one record each (up to the budget, spending it for every other connection) and the log
 * statement's work on each. The connection's first visit labels it (before the budget: one
 * `log_flow_seen` per connection, so a record the budget refused stays counted lost once). A kernel
 * without conntrack labels (probed at start) gets the rules without it: a record per such packet.
 */
export const FLOW_RECORDED_LABEL = 127;
export const CT_LABELS_KERNEL_FEATURE = "CONFIG_NF_CONNTRACK_LABELS";
/** One throwaway transaction (checked with `nft -c`, never committed): a ct label rule. */
export const CT_LABELS_PROBE = `table inet ponton_ct_label_probe {\n  chain c {\n    type filter hook forward priority filter; policy accept;\n    ct label set ${FLOW_RECORDED_LABEL}\n  }\n}\n`;
const ONCE_PER_CONNECTION = [`ct label ${FLOW_RECORDED_LABEL} return`, `ct label set ${FLOW_RECORDED_LABEL}`];

/** Ids of the allow decisions whose connections a policy's `ponton.dev/log` asks to log. */
export function loggedAllowIds(plan: PolicyPlan, policies: readonly NetworkPolicy[]): string[] {
  const logs = new Map(policies.map((p) => [policyKey(p), p.log]));
  return plan.ids.flatMap((e) => {
    if (e.kind !== "allow") return [];
    const log = logs.get(e.rule.policy);
    return log && (log.allowed || log.rules.includes(`${e.rule.direction}[${e.rule.ruleIndex}]`)) ? [String(e.id)] : [];
  });
}

/** NFLOG prefix of a user hook rule (the store's rule id). */
export const userRulePrefix = (id: number) => `user-${id} `;

// A rule's final verdict: drop, or reject with its options (and an optional trailing comment).
const VERDICT = /\s(drop|reject(?:\s+with\s+[a-z0-9-]+(?:\s+(?:type\s+)?[a-z0-9-]+)?)?)(\s+comment\s+"[^"]*")?\s*$/;

/**
 * A user rule whose verdict drops or rejects is preceded by a copy that only logs (same match,
 * counters stripped, rate-limited), so the user's own rule runs exactly as written.
 */
export function userRuleWithLog(rule: string, id: number): string[] {
  const m = VERDICT.exec(rule);
  if (!m) return [rule];
  const match = rule.slice(0, m.index).replace(/\bcounter(\s+packets\s+\d+\s+bytes\s+\d+)?/g, "").trim();
  return [`${match ? `${match} ` : ""}${limited(userRulePrefix(id))}`, rule];
}

export const POLICY_DROP_PREFIXES: Record<string, "ingress" | "egress"> = {
  [POLICY_LOG_PREFIX.ingress]: "ingress",
  [POLICY_LOG_PREFIX.egress]: "egress",
};
