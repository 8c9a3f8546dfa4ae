// The policy part of the nft plan: compiled from the desired state by src/policy, rendered
// inside our table, diffed element by element like the engine's own sets.
import { compilePolicies, renderPolicyNft, type PolicyPlan } from "../../policy";
import type { DesiredState } from "../../model/types";
import { policyWorld, statePolicies } from "./world";

/** With no policy the plan is constant (empty maps, fixed chains): skip building the world. */
const EMPTY: PolicyPlan = compilePolicies({ namespaces: [], workloads: [] }, []);

export function compilePolicyFragment(state: DesiredState): PolicyPlan {
  const policies = statePolicies(state);
  if (policies.length === 0) return EMPTY;
  return compilePolicies(policyWorld(state), policies);
}

export const EMPTY_POLICY_PLAN = EMPTY;

/** Declarations for the body of `table inet ponton { … }` (a full replace). */
export function renderPolicyDecls(plan: PolicyPlan): string {
  const lines = renderPolicyNft(plan).trimEnd().split("\n");
  return lines.slice(1, -1).join("\n");
}

/** Sets and maps whose declaration (not elements) differs: only a full reload can change those. */
export function samePolicySkeleton(a: PolicyPlan, b: PolicyPlan): boolean {
  return a.sets.length === b.sets.length && a.sets.every((s, i) => s.name === b.sets[i]!.name && s.type === b.sets[i]!.type);
}
