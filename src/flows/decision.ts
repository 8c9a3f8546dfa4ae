// Pure: why a logged packet went where it went, from its NFLOG group, log prefix and mark.
import { DROP_REASONS, FLOW_LOG_GROUP, POLICY_DROP_PREFIXES } from "../compile/flow-log";
import { adminRuleText, describeDecision, isDecisionMark, TIER_KINDS } from "../policy";
import type { FlowDirectory, FlowRecord, Verdict } from "./record";

export type Decision = Pick<FlowRecord, "verdict" | "direction" | "dropReason" | "summary" | "policies" | "decisionId" | "userRule" | "rule">;

const ENGINE_REASONS = new Map(Object.values(DROP_REASONS).map((r) => [r.prefix as string, r]));

/** The verdict and its reason. */
export function decide(group: number, prefix: string, m: number, dir: FlowDirectory): Decision {
  const mark = isDecisionMark(m) ? m : undefined;
  const entry = mark && dir.policy ? describeDecision(dir.policy, mark) : undefined;
  if (group === FLOW_LOG_GROUP) {
    if (entry?.kind === "allow") {
      const r = entry.rule;
      const by = r.tier ? `${TIER_KINDS[r.tier]} ${adminRuleText(r)}` : `${r.policy} ${r.direction}[${r.ruleIndex}]`;
      return { verdict: "FORWARDED", direction: r.direction, summary: `allowed by ${by}`, policies: [r.policy], decisionId: mark, rule: r };
    }
    return { verdict: "FORWARDED", summary: mark ? `allowed (decision ${mark} is not in the current policies)` : "allowed: no policy selects either end", policies: [] };
  }
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
