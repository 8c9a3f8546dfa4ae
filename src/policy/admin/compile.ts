import { adminMap, adminPassSet } from "../plan/names";
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
    for (const dir of ["egress", "ingress"] as const) {
      for (const v of ["allow", "deny"] as const) for (const f of [4, 6] as const) mapNames.push(adminMap(t, dir, v, f));
      for (const f of [4, 6] as const) mapNames.push(adminPassSet(t, dir, f));
    }
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

/** Writes boxes for the subject addresses lo–hi into a map, skipping boxes whose idOf is undefined ("set": into a set, every box). */
export type PushBoxes = (map: string, f: Family, lo: bigint, hi: bigint, boxes: Box[], idOf: ((rank: number) => number | undefined) | "set") => void;

/**
 * Every workload a tier's subjects select, per direction and family: the Allow and Deny rules'
 * disjoint boxes (the first matching rule in tier order wins each) into the allow and deny maps,
 * made without the Pass rules; where a Pass is the first match, the pass set (names.ts
 * adminPassSet: its lookups skip the tier there). So a Pass never splits the other rules' boxes:
 * a Pass for 250 scattered pods cut each Deny range at every one of them (50,001 elements in
 * bench/policy). The baseline skips workloads a NetworkPolicy isolates (`isolated`: "direction
 * namespace/name"): the kernel never reaches its lookups for them. An admin policy selects whole
 * namespaces, so many subjects share one box list: consecutive addresses that share it become one
 * subject range (20× fewer elements for namespaces of 20 workloads in bench/policy); the pass set
 * has no ids, so subjects share its boxes across policies too.
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
  const isPass = (rank: number) => c.byRank.get(rank)!.rule.action === "Pass";
  for (const dir of ["egress", "ingress"] as const) {
    for (const t of ["admin", "baseline"] as const) {
      for (const f of [4, 6] as const) {
        const sharing = new Map<Box[], bigint[]>();
        const passing = new Map<string, { boxes: Box[]; values: bigint[] }>();
        // Same rules, same boxes — unless an ingress named port resolves on each subject.
        const byRules = new Map<string, { deciding: Box[]; pass: { boxes: Box[]; key: string } }>();
        for (const view of workloads) {
          if (t === "baseline" && isolated.has(`${dir} ${view.key}`)) continue;
          const addrs = view.addrs.filter((a) => a.family === f);
          if (addrs.length === 0) continue;
          const rules = tierRulesFor(c, tiers, t, dir, view);
          if (rules.length === 0) continue;
          const perSubject = dir === "ingress" && rules.some((r) => r.rule.ports.some((p) => typeof p.port === "string"));
          const key = perSubject ? undefined : rules.map((r) => r.rank).join(",");
          let made = key === undefined ? undefined : byRules.get(key);
          if (!made) {
            const boxesOf = (rs: AdminRanked[]) => compiler.boxes(dir === "ingress" ? compiler.ingressItems(rs, view, f) : compiler.egressItems(rs, f));
            const deciding = rules.filter((r) => r.rule.action !== "Pass");
            const passBoxes = deciding.length === rules.length ? [] : boxesOf(rules).filter((b) => isPass(b.rank));
            made = { deciding: boxesOf(deciding), pass: { boxes: passBoxes, key: passBoxes.map((b) => `${b.aLo}-${b.aHi}:${b.lLo}-${b.lHi}`).join(",") } };
            if (key !== undefined) byRules.set(key, made);
          }
          if (made.deciding.length > 0) {
            const list = sharing.get(made.deciding) ?? [];
            for (const a of addrs) list.push(a.value);
            sharing.set(made.deciding, list);
          }
          if (made.pass.boxes.length > 0) {
            const p = passing.get(made.pass.key) ?? { boxes: made.pass.boxes, values: [] };
            for (const a of addrs) p.values.push(a.value);
            passing.set(made.pass.key, p);
          }
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
        for (const { boxes, values } of passing.values()) {
          for (const [lo, hi] of runs(values)) push(adminPassSet(t, dir, f), f, lo, hi, boxes, "set");
        }
      }
    }
  }
}
