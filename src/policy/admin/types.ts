// The admin tiers (policy.networking.k8s.io/v1alpha1) after parsing. Peers and ports reuse the
// NetworkPolicy model (a `namespaces` peer is a pods peer with a null podSelector, `networks` an
// ipBlock, `portRange` a port with endPort), so matching and compiling share one code path.
import type { LabelSelector, PolicyRule } from "../types";

/** admin: AdminNetworkPolicy (before NetworkPolicy); baseline: BaselineAdminNetworkPolicy (after). */
export type PolicyTier = "admin" | "baseline";

/** Pass (AdminNetworkPolicy only): skip the remaining admin rules, let NetworkPolicy then the baseline decide. */
export type AdminAction = "Allow" | "Deny" | "Pass";

export interface AdminRule extends PolicyRule {
  action: AdminAction;
  /** The rule's `name`, shown by explain and flow records. */
  name?: string;
}

export interface AdminSpec {
  tier: PolicyTier;
  /** 0–1000, lower first; the baseline has none (0). */
  priority: number;
  /** `subject.namespaces` is a namespaceSelector with an empty podSelector. */
  subject: { namespaceSelector: LabelSelector; podSelector: LabelSelector };
  /** In written order: the first matching rule of the first (by priority, then name) policy decides. */
  ingress: AdminRule[];
  egress: AdminRule[];
}
