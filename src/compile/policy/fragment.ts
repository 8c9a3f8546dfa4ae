// The policy part of the nft plan: compiled from the desired state by src/policy, rendered
// inside our table, diffed element by element like the engine's own sets.
import { compilePolicies, PolicyCompileCache, renderPolicyNft, sameWorld, type NetworkPolicy, type PolicyPlan, type PolicyWorld } from "../../policy";
import type { DesiredState } from "../../model/types";
import { policyWorld, statePolicies } from "./world";
import { countedLimit } from "../flow-log";

/** The drop log's limit counted like the engine's (its over-limit records are reported lost). */
const OPTIONS = { countedLimit: (limit: string) => countedLimit("drop", limit) };

/** With no policy the plan is constant (empty maps, fixed chains): skip building the world. */
const EMPTY: PolicyPlan = compilePolicies({ namespaces: [], workloads: [] }, [], OPTIONS);

/**
 * Every sync compiles the whole state (service health ticks included). The compile keeps its work
 * between calls (src/policy/plan/cache.ts: a changed policy recompiles only the workloads it
 * isolates), and the same inputs return the same plan object, which lets the diff skip the policy
 * maps at once. Same input, same output: this stays pure in effect.
 */
const cache = new PolicyCompileCache();
let last: { world: PolicyWorld; policies: readonly NetworkPolicy[]; plan: PolicyPlan } | undefined;
/** pontond --policy-delta off: the whole compile on every change, reused only for the same text. */
let lastWhole: { key: string; plan: PolicyPlan } | undefined;

export function compilePolicyFragment(state: DesiredState, delta = true): PolicyPlan {
  const policies = statePolicies(state);
  if (policies.length === 0) return EMPTY;
  const world = policyWorld(state);
  if (!delta) {
    const key = JSON.stringify([world, policies]);
    if (lastWhole?.key !== key) lastWhole = { key, plan: compilePolicies(world, policies, OPTIONS) };
    return lastWhole.plan;
  }
  // The store hands out the same frozen policy objects until one is written.
  if (last && last.policies.length === policies.length && last.policies.every((p, i) => p === policies[i]) && sameWorld(last.world, world)) return last.plan;
  last = { world, policies, plan: compilePolicies(world, policies, OPTIONS, cache) };
  return last.plan;
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
