import type { PolicyIdEntry } from "./ids";
import type { PolicyPlan } from "./plan";
import type { Direction, RuleRef } from "../types";

// The collector's side of the id contract: a mark read from a conntrack event (ct mark) or
// an NFLOG message of a drop chain (meta mark) is looked up in the plan that was applied.

export function describeDecision(plan: PolicyPlan, id: number): PolicyIdEntry | undefined {
  let lo = 0, hi = plan.ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const e = plan.ids[mid]!;
    if (e.id === id) return e;
    if (e.id < id) lo = mid + 1; else hi = mid - 1;
  }
  return undefined;
}

export function ruleDecisionId(plan: PolicyPlan, ref: RuleRef): number | undefined {
  const kind = ref.deny ? "denyRule" : "allow";
  return plan.ids.find((e) => e.kind === kind && e.rule.policy === ref.policy && e.rule.direction === ref.direction && e.rule.ruleIndex === ref.ruleIndex)?.id;
}

export function denyDecisionId(plan: PolicyPlan, direction: Direction, policies: readonly string[]): number | undefined {
  const want = [...policies].sort().join(",");
  return plan.ids.find((e) => e.kind === "deny" && e.direction === direction && e.policies.join(",") === want)?.id;
}
