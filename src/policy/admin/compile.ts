import { adminMap } from "../plan/names";
import type { RankedRule } from "../plan/compile";
import type { Direction } from "../types";
import { policyKey, pushTo, type WorkloadView } from "../world";
import { adminRuleRef, adminRules, subjectSelects, type Tiers } from "./evaluate";
import type { AdminRule, PolicyTier } from "./types";

// The admin tiers' part of the policy compile: ranks (tier order, so a box's lowest rank is the
// rule explain names) and the maps the chains look up (plan/names.ts adminMap).

export interface AdminRanked extends RankedRule {
  rule: AdminRule;
}

/** Which tiers have policies: their maps and lookups exist only then. */
export interface TierFlags {
  admin: boolean;
  baseline: boolean;
}

export interface AdminCompile {
  byRank: Map<number, AdminRanked>;
  /** Keyed "policyKey direction", in rule order. */
  of: Map<string, AdminRanked[]>;
  flags: TierFlags;
  mapNames: string[];
}

export function rankAdminRules(tiers: Tiers, nextRank: () => number): AdminCompile {
  const byRank = new Map<number, AdminRanked>();
  const of = new Map<string, AdminRanked[]>();
  for (const p of [...tiers.admin, ...tiers.baseline]) {
    for (const dir of ["egress", "ingress"] as const) {
      adminRules(p, dir).forEach((rule, i) => {
        const r: AdminRanked = { rank: nextRank(), ref: adminRuleRef(p, dir, i, rule), policy: p, rule };
        byRank.set(r.rank, r);
        pushTo(of, `${policyKey(p)} ${dir}`, r);
      });
    }
  }
  const flags = { admin: tiers.admin.length > 0, baseline: tiers.baseline.length > 0 };
  const mapNames: string[] = [];
  for (const t of ["admin", "baseline"] as const) {
    if (!flags[t]) continue;
    for (const dir of ["egress", "ingress"] as const) for (const v of ["allow", "deny"] as const) for (const f of [4, 6] as const) mapNames.push(adminMap(t, dir, v, f));
  }
  return { byRank, of, flags, mapNames };
}

/** The tier's rules that apply to `view` in `dir`, in evaluation (= rank) order. */
export function tierRulesFor(c: AdminCompile, tiers: Tiers, tier: PolicyTier, dir: Direction, view: WorkloadView): AdminRanked[] {
  return tiers[tier].filter((p) => subjectSelects(p, view)).flatMap((p) => c.of.get(`${policyKey(p)} ${dir}`) ?? []);
}
