// The policy part of the nft plan: compiled from the desired state by src/policy, rendered
// inside our table, diffed element by element like the engine's own sets.
import { compilePolicies, renderPolicyNft, type PolicyPlan } from "../../policy";
import type { DesiredState } from "../../model/types";
import { policyWorld, statePolicies } from "./world";

/** With no policy the plan is constant (empty maps, fixed chains): skip building the world. */
const EMPTY: PolicyPlan = compilePolicies({ namespaces: [], workloads: [] }, []);

/**
 * Every sync compiles the whole state (service health ticks included): keep the last policy plan
 * and reuse it while its inputs are the same text. Same input, same output, so this stays pure
 * in effect; keeping the identity also lets the diff skip the policy maps at once.
 */
let last: { key: string; plan: PolicyPlan } | undefined;

export function compilePolicyFragment(state: DesiredState): PolicyPlan {
  const policies = statePolicies(state);
  if (policies.length === 0) return EMPTY;
  const world = policyWorld(state);
  const key = JSON.stringify([world, policies]);
  if (last?.key === key) return last.plan;
  const plan = compilePolicies(world, policies);
  last = { key, plan };
  return plan;
}

/** Declarations for the body of `table inet ponton { … }` (a full replace). */
export function renderPolicyDecls(plan: PolicyPlan): string {
  const lines = renderPolicyNft(plan).trimEnd().split("\n");
  return lines.slice(1, -1).join("\n");
}

/** Sets and maps whose declaration (not elements) differs: only a full reload can change those. */
export function samePolicySkeleton(a: PolicyPlan, b: PolicyPlan): boolean {
  return a.sets.length === b.sets.length && a.sets.every((s, i) => s.name === b.sets[i]!.name && s.type === b.sets[i]!.type);
}
