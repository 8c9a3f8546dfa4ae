import { adminMap } from "../plan/names";
import type { Box } from "../plan/boxes";
import type { Compiler, RankedRule } from "../plan/compile";
import type { Family } from "../plan/cidr";
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

/** `versionOf`: the policy compile cache's number for a policy text (peer addresses are kept by it). */
export function rankAdminRules(tiers: Tiers, nextRank: () => number, versionOf: (p: AdminRanked["policy"]) => number): AdminCompile {
  const byRank = new Map<number, AdminRanked>();
  const of = new Map<string, AdminRanked[]>();
  for (const p of [...tiers.admin, ...tiers.baseline]) {
    for (const dir of ["egress", "ingress"] as const) {
      adminRules(p, dir).forEach((rule, i) => {
        const r: AdminRanked = { rank: nextRank(), version: versionOf(p), ref: adminRuleRef(p, dir, i, rule), policy: p, rule };
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

/** Sorted values as runs of consecutive integers: [lo, hi] pairs. */
function runs(values: bigint[]): [bigint, bigint][] {
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: [bigint, bigint][] = [];
  for (const v of sorted) {
    const last = out[out.length - 1];
    if (last && v === last[1] + 1n) last[1] = v;
    else out.push([v, v]);
  }
  return out;
}

/** Writes boxes for the subject addresses lo–hi into a map, skipping boxes whose idOf is undefined. */
export type PushBoxes = (map: string, f: Family, lo: bigint, hi: bigint, boxes: Box[], idOf: (rank: number) => number | undefined) => void;

/**
 * Every workload a tier's subjects select, per direction and family: the rules' disjoint boxes (the
 * first matching rule in tier order wins each), Allow boxes into the allow map, Deny boxes into the
 * deny map, Pass boxes nowhere (they shadow lower rules and fall through). The baseline skips
 * workloads a NetworkPolicy isolates (`isolated`: "direction namespace/name"): the kernel never
 * reaches its lookups for them. An admin policy selects whole namespaces, so many subjects share one
 * box list: consecutive addresses that share it become one subject range (20× fewer elements for
 * namespaces of 20 workloads in bench/policy).
 */
export function adminElements(
  c: AdminCompile,
  tiers: Tiers,
  workloads: readonly WorkloadView[],
  compiler: Compiler,
  isolated: ReadonlySet<string>,
  idOf: (r: AdminRanked) => number | undefined,
  push: PushBoxes,
): void {
  for (const dir of ["egress", "ingress"] as const) {
    for (const t of ["admin", "baseline"] as const) {
      for (const f of [4, 6] as const) {
        const sharing = new Map<Box[], bigint[]>();
        // Same rules, same boxes — unless an ingress named port resolves on each subject.
        const byRules = new Map<string, Box[]>();
        for (const view of workloads) {
          if (t === "baseline" && isolated.has(`${dir} ${view.key}`)) continue;
          const addrs = view.addrs.filter((a) => a.family === f);
          if (addrs.length === 0) continue;
          const rules = tierRulesFor(c, tiers, t, dir, view);
          if (rules.length === 0) continue;
          const perSubject = dir === "ingress" && rules.some((r) => r.rule.ports.some((p) => typeof p.port === "string"));
          const key = perSubject ? undefined : rules.map((r) => r.rank).join(",");
          let boxes = key === undefined ? undefined : byRules.get(key);
          if (!boxes) {
            boxes = compiler.boxes(dir === "ingress" ? compiler.ingressItems(rules, view, f) : compiler.egressItems(rules, f));
            if (key !== undefined) byRules.set(key, boxes);
          }
          if (boxes.length === 0) continue;
          const list = sharing.get(boxes) ?? [];
          for (const a of addrs) list.push(a.value);
          sharing.set(boxes, list);
        }
        for (const verdict of ["allow", "deny"] as const) {
          const action = verdict === "allow" ? "Allow" : "Deny";
          const boxId = (rank: number): number | undefined => {
            const r = c.byRank.get(rank)!;
            return r.rule.action === action ? idOf(r) : undefined;
          };
          for (const [boxes, values] of sharing) {
            for (const [lo, hi] of runs(values)) push(adminMap(t, dir, verdict, f), f, lo, hi, boxes, boxId);
          }
        }
      }
    }
  }
}
