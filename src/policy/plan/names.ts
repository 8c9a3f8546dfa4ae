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
  /** What follows the allow lookups (toFQDNs, the default deny, the baseline tier): each shard chain ends in it. */
  egressRest: "pol_eg_rest",
  ingressRest: "pol_in_rest",
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
 * Each allow map is split into ALLOW_SHARDS maps by the subject address's low bits (`pol_in_allow_v4_s3`
 * holds the subjects whose address ends in 3 mod 64). The kernel keeps these maps in pipapo sets, where
 * removing one element costs time in proportion to the whole map (~10 µs per element of the map per
 * deleted element, measured: bench/policy/kernel-commit.ts): a change to one workload's elements then
 * rewrites one map of ~1/64 the size. Per new connection: one verdict-map lookup on the subject's low
 * bits (`goto` the shard's chain), then the shard's lookup, as one lookup before.
 */
export const ALLOW_SHARDS = 64;
export const ALLOW_MAPS = [MAP.egressAllow4, MAP.egressAllow6, MAP.ingressAllow4, MAP.ingressAllow6] as const;

const shardIndex = (addr: bigint): number => Number(addr & BigInt(ALLOW_SHARDS - 1));

/** The shard of `map` that holds the subject `addr`'s elements. */
export function allowShard(map: string, addr: bigint): string {
  return `${map}_s${shardIndex(addr)}`;
}

/** Every shard name of `map`, in shard order. */
export function allowShards(map: string): string[] {
  return Array.from({ length: ALLOW_SHARDS }, (_, i) => `${map}_s${i}`);
}

/** A shard's chain: its lookup, then the rest of the direction (`pol_in_v4_s3`). */
export function shardChain(dir: Direction, family: 4 | 6, i: number): string {
  return `pol_${dir === "egress" ? "eg" : "in"}_v${family}_s${i}`;
}

/** The rule that sends a connection to its subject's shard chain, as `nft list` prints it. */
export function shardDispatch(dir: Direction, family: 4 | 6, field: string): string {
  const key = (i: number) => (family === 4 ? `0.0.0.${i}` : `::${i ? i.toString(16) : ""}`);
  const entries = Array.from({ length: ALLOW_SHARDS }, (_, i) => `${key(i)} : goto ${shardChain(dir, family, i)}`);
  return `${family === 4 ? "ip" : "ip6"} ${field} & ${key(ALLOW_SHARDS - 1)} vmap { ${entries.join(", ")} }`;
}

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
