// The allow lookups as the compiler must write them (plan/names.ts ALLOW_SHARDS = 64): written out
// here independently of names.ts, so the tests pin the text the kernel gets.

const SHARDS = Array.from({ length: 64 }, (_, i) => i);

/** The direction's dispatch on the subject's low bits, e.g. ("ingress", "daddr"): its two rules (IPv4, IPv6). */
export function shardDispatch(dir: "egress" | "ingress", self: string): string[] {
  const d = dir === "egress" ? "eg" : "in";
  return [
    `ip ${self} & 0.0.0.63 vmap { ${SHARDS.map((i) => `0.0.0.${i} : goto pol_${d}_v4_s${i}`).join(", ")} }`,
    `ip6 ${self} & ::3f vmap { ${SHARDS.map((i) => `::${i === 0 ? "" : i.toString(16)} : goto pol_${d}_v6_s${i}`).join(", ")} }`,
  ];
}

/** The 128 shard chains of one direction (64 IPv4, then 64 IPv6): the shard's lookup, then the rest. */
export function shardChains(dir: "egress" | "ingress"): Record<string, string[]> {
  const d = dir === "egress" ? "eg" : "in";
  const [self, peer] = dir === "egress" ? ["saddr", "daddr"] : ["daddr", "saddr"];
  const out: Record<string, string[]> = {};
  for (const [f, ip] of [[4, "ip"], [6, "ip6"]] as const) {
    for (const i of SHARDS) {
      out[`pol_${d}_v${f}_s${i}`] = [`ct mark set ${ip} ${self} . ${ip} ${peer} . meta l4proto . th dport map @pol_${d}_allow_v${f}_s${i} return`, `goto pol_${d}_rest`];
    }
  }
  return out;
}
