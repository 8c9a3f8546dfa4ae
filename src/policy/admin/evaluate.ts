import type { Addr } from "../plan/cidr";
import { peerMatches, portMatches } from "../match";
import { matchesSelector } from "../selector";
import type { Direction, NetworkPolicy, Protocol, RuleRef } from "../types";
import { policyKey, type WorkloadView } from "../world";
import type { AdminRule } from "./types";

// The admin tiers, per direction: the first rule (policies by priority then name, rules in written
// order) whose policy's subject selects the workload and that matches the connection. The API
// leaves two AdminNetworkPolicies of one priority undefined; Ponton orders them by name.

export interface Tiers {
  /** AdminNetworkPolicies in evaluation order. */
  admin: NetworkPolicy[];
  /** The BaselineAdminNetworkPolicy (at most one, "default"). */
  baseline: NetworkPolicy[];
}

/** Splits the admin tiers out of policies already sorted by key. */
export function adminTiers(sorted: readonly NetworkPolicy[]): Tiers {
  const admin = sorted.filter((p) => p.admin?.tier === "admin");
  // Array.prototype.sort is stable: equal priorities keep the name order.
  admin.sort((a, b) => a.admin!.priority - b.admin!.priority);
  return { admin, baseline: sorted.filter((p) => p.admin?.tier === "baseline") };
}

export function hasTiers(t: Tiers): boolean {
  return t.admin.length + t.baseline.length > 0;
}

export function subjectSelects(p: NetworkPolicy, w: WorkloadView): boolean {
  const s = p.admin!.subject;
  return matchesSelector(s.namespaceSelector, w.namespaceLabels) && matchesSelector(s.podSelector, w.workload.labels);
}

export function adminRules(p: NetworkPolicy, dir: Direction): AdminRule[] {
  return dir === "ingress" ? p.admin!.ingress : p.admin!.egress;
}

/** How explain, the decision ids and flow records name an admin-tier rule. */
export function adminRuleRef(p: NetworkPolicy, dir: Direction, ruleIndex: number, rule: AdminRule): RuleRef {
  return {
    policy: policyKey(p),
    direction: dir,
    ruleIndex,
    ...(rule.action === "Deny" ? { deny: true as const } : {}),
    tier: p.admin!.tier,
    action: rule.action,
    ...(rule.name ? { name: rule.name } : {}),
  };
}

/** The rule that decides in this tier, or undefined when none matches (the next tier decides). */
export function firstAdminMatch(
  policies: readonly NetworkPolicy[],
  dir: Direction,
  subject: WorkloadView,
  peer: WorkloadView | null,
  peerAddr: Addr,
  dst: WorkloadView | null,
  protocol: Protocol,
  port: number,
): RuleRef | undefined {
  for (const p of policies) {
    if (!subjectSelects(p, subject)) continue;
    const rules = adminRules(p, dir);
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (!r.peers.some((x) => peerMatches(x, "", peer, peerAddr))) continue;
      if (r.ports.length > 0 && !r.ports.some((s) => portMatches(s, protocol, port, dst?.workload ?? null))) continue;
      return adminRuleRef(p, dir, i, r);
    }
  }
  return undefined;
}

/** The kind of each admin tier's policies. */
export const TIER_KINDS = { admin: "AdminNetworkPolicy", baseline: "BaselineAdminNetworkPolicy" } as const;

/** `anp:deny-x ingress[0] "no-x" (Deny)`: the words explain and flow records use. */
export function adminRuleText(r: RuleRef): string {
  return `${r.policy} ${r.direction}[${r.ruleIndex}]${r.name ? ` "${r.name}"` : ""} (${r.action})`;
}
