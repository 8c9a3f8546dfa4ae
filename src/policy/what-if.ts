// Pure: what a set of candidate policies would do to connections already seen. The candidates
// replace same-named policies (as `policy apply` would); each connection is explained before and
// after with the same oracle as `policy explain`.
import { createExplainer, type Explanation } from "./evaluate";
import type { NetworkPolicy, PolicyWorld, Protocol } from "./types";
import { policyKey } from "./world";

export interface WhatIfConnection {
  /** "namespace/name" or an IP address, as `explain` takes them. */
  from: string;
  to: string;
  port: number;
  protocol: Protocol;
}

export interface WhatIfOutcome {
  allowedNow: boolean;
  allowedAfter: boolean;
  /** The policies that would deny: an admin-tier rule's, or those isolating the denying direction (empty when allowed after). */
  deniedBy: string[];
  /** The rule that would admit it, per direction that is isolated. */
  after: Pick<Explanation, "egress" | "ingress">;
}

const keyOf = (p: NetworkPolicy) => policyKey(p);

export function withCandidates(current: readonly NetworkPolicy[], candidates: readonly NetworkPolicy[]): NetworkPolicy[] {
  const replaced = new Set(candidates.map(keyOf));
  return [...current.filter((p) => !replaced.has(keyOf(p))), ...candidates];
}

export function whatIf(world: PolicyWorld, current: readonly NetworkPolicy[], candidates: readonly NetworkPolicy[], connections: readonly WhatIfConnection[]): WhatIfOutcome[] {
  const now = createExplainer(world, current);
  const next = createExplainer(world, withCandidates(current, candidates));
  return connections.map((c) => {
    const a = next(c);
    // A direction an admin-tier rule denied names that policy; one NetworkPolicy denied, those isolating.
    const denying = (d: Explanation["egress"]): string[] => (d.allowed ? [] : d.decidedBy ? [d.decidedBy.policy] : d.isolatedBy);
    const deniedBy = a.allowed ? [] : [...new Set([...denying(a.egress), ...denying(a.ingress)])];
    return { allowedNow: now(c).allowed, allowedAfter: a.allowed, deniedBy, after: { egress: a.egress, ingress: a.ingress } };
  });
}
