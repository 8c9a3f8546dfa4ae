// The policy compile timed alone (pure): one warm-up, then the median of `rounds` compiles.
import { compilePolicies, type NetworkPolicy, type PolicyPlan, type PolicyWorld } from "../../src/policy";

export function timeCompile(w: PolicyWorld, policies: NetworkPolicy[], rounds: number): { medianMs: number; rules: number; elements: number; plan: PolicyPlan } {
  const times: number[] = [];
  let plan = compilePolicies(w, policies);
  for (let i = 0; i < rounds; i++) {
    const t = process.hrtime.bigint();
    plan = compilePolicies(w, policies);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  const rules = plan.chains.reduce((s, c) => s + c.rules.length, 0);
  const elements = plan.sets.reduce((s, x) => s + x.elements.length, 0);
  return { medianMs: Math.round(times[Math.floor(times.length / 2)]!), rules, elements, plan };
}
