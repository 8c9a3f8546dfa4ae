import type { Direction } from "../types";

// Every kernel name the policy compiler emits, in one place. All live in the engine's
// `table inet ponton`; all start with "pol_" so they never collide with the engine's own.

/** The engine's forward chain does `ct state new jump pol_forward` (after accepting established,related). */
export const POLICY_ENTRY_CHAIN = "pol_forward";
export const POLICY_JUMP_RULE = `ct state new jump ${POLICY_ENTRY_CHAIN}`;

export const CHAIN = {
  forward: "pol_forward",
  egress: "pol_egress",
  ingress: "pol_ingress",
  egressDrop: "pol_eg_drop",
  ingressDrop: "pol_in_drop",
} as const;

/** allow maps: subject . peer . l4proto . dport -> decision id; deny maps: subject -> id. */
export const MAP = {
  egressAllow4: "pol_eg_allow_v4",
  egressAllow6: "pol_eg_allow_v6",
  egressDeny4: "pol_eg_deny_v4",
  egressDeny6: "pol_eg_deny_v6",
  ingressAllow4: "pol_in_allow_v4",
  ingressAllow6: "pol_in_allow_v6",
  ingressDeny4: "pol_in_deny_v4",
  ingressDeny6: "pol_in_deny_v6",
} as const;

/**
 * Cilium deny rules: subject . peer . l4proto . dport -> deny-rule id, looked up before the allow
 * map (deny wins). Declared, with their two lookups per direction, only when a policy has deny rules.
 */
export const DENY_RULE_MAP = {
  egress4: "pol_eg_xdeny_v4",
  egress6: "pol_eg_xdeny_v6",
  ingress4: "pol_in_xdeny_v4",
  ingress6: "pol_in_xdeny_v6",
} as const;

/**
 * Recent drops, kept by the kernel for a collector that polls instead of listening to NFLOG:
 * saddr . daddr . l4proto . dport . deny id, each element expiring after DROPS_TIMEOUT.
 */
export const DROPS = { v4: "pol_drops_v4", v6: "pol_drops_v6" } as const;
export const DROPS_TIMEOUT = "120s";
export const DROPS_SIZE = 65535;

/** NFLOG prefixes of the two drop chains: they tell the direction, the mark tells the id. */
export const LOG_PREFIX = { egress: "pol-eg-drop ", ingress: "pol-in-drop " } as const;

export const DEFAULT_LOG_GROUP = 2;
export const DEFAULT_LOG_RATE = 1000;

/**
 * The admin tiers (admin/): subject . peer . l4proto . dport -> the deciding rule's id, one map per
 * tier, direction, verdict and family (`pol_eg_anp_deny_v4`, `pol_in_banp_allow_v6`…). The
 * AdminNetworkPolicy maps are looked up before everything else, the baseline's after the default
 * deny (so only for workloads no NetworkPolicy isolates). Declared only while such a policy exists.
 */
export function adminMap(tier: "admin" | "baseline", dir: Direction, verdict: "allow" | "deny", family: 4 | 6): string {
  return `pol_${dir === "egress" ? "eg" : "in"}_${tier === "admin" ? "anp" : "banp"}_${verdict}_v${family}`;
}

/**
 * Where a tier's Pass decides: subject . peer . l4proto . dport, no data. Its four lookups skip the
 * tier's maps there (`!= @set`), so the Allow and Deny maps are made without the Pass and never
 * split around its peers (a Pass for scattered pods split each Deny range at every one of them).
 */
export function adminPassSet(tier: "admin" | "baseline", dir: Direction, family: 4 | 6): string {
  return `pol_${dir === "egress" ? "eg" : "in"}_${tier === "admin" ? "anp" : "banp"}_pass_v${family}`;
}
