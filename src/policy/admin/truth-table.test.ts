import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePolicies } from "../plan/compile";
import { denyDecisionId, ruleDecisionId } from "../plan/decisions";
import { createExplainer, type DirectionExplanation, type Explanation } from "../evaluate";
import { parsePolicies } from "../parse";
import { PlanSim, elementsOverlap, parseElement, type SimVerdict } from "../testing/nft-sim";
import { shardDispatch } from "../testing/sharded-allow";
import { PORTS, PROTOCOLS, WORKLOADS, truthWorld } from "../testing/world";
import type { TruthCase } from "../testing/truth-cases";
import type { PolicyPlan } from "../plan/plan";
import type { RuleRef } from "../types";
import { ADMIN_CASES } from "./cases";
import { whatIf } from "../what-if";

// The tiers cell by cell: explain() against hand-written matrices, and the compiled plan through
// the kernel model against explain(), with the id of the deciding rule (admin, NetworkPolicy or
// baseline) on every admitted and dropped connection.

const world = truthWorld();

function expected(c: TruthCase, family: 4 | 6, row: number, col: number): Set<string> {
  const ch = (family === 6 && c.v6 ? c.v6 : c.v4)[row]![col]!;
  if (ch === "#") return new Set(PORTS.flatMap((p) => PROTOCOLS.map((pr) => `${p}/${pr}`)));
  if (ch === ".") return new Set();
  assert.ok(c.legend?.[ch], `${c.name}: no legend for '${ch}'`);
  return new Set(c.legend[ch]);
}

/** The rule whose id the kernel carries for a direction explain says was decided by a rule. */
function decider(d: DirectionExplanation): RuleRef | undefined {
  if (d.tier === "admin" || d.tier === "baseline") return d.decidedBy;
  if (d.tier === "networkPolicy") return d.deniedBy?.[0] ?? d.allowedBy[0];
  return undefined;
}

function checkKernel(plan: PolicyPlan, e: Explanation, k: SimVerdict): string | undefined {
  if (k.allowed !== e.allowed) return `kernel model: got ${k.allowed}`;
  if (k.drop) {
    const d = k.drop.direction === "egress" ? e.egress : e.ingress;
    const rule = decider(d);
    const want = rule ? ruleDecisionId(plan, rule) : denyDecisionId(plan, k.drop.direction, d.isolatedBy);
    return k.drop.mark === want ? undefined : `drop id ${k.drop.mark}, want ${want}`;
  }
  const rule = decider(e.ingress) ?? decider(e.egress);
  const want = rule ? ruleDecisionId(plan, rule) : 0;
  return k.ctMark === want ? undefined : `ct mark ${k.ctMark}, want ${want}`;
}

for (const c of ADMIN_CASES) {
  test(`admin tiers truth table: ${c.name}`, () => {
    const policies = parsePolicies(c.yaml);
    const explainer = createExplainer(world, policies);
    const plan = compilePolicies(world, policies);
    const sim = new PlanSim(plan);
    const wrong: string[] = [];
    // The kernel refuses overlapping elements in an interval map.
    for (const set of plan.sets.filter((x) => /_b?anp_/.test(x.name))) {
      const els = set.elements.map(parseElement);
      for (let i = 0; i < els.length; i++) for (let j = i + 1; j < els.length; j++) {
        if (elementsOverlap(els[i]!, els[j]!)) wrong.push(`${set.name}: ${set.elements[i]} overlaps ${set.elements[j]}`);
      }
    }
    for (const family of [4, 6] as const) {
      WORKLOADS.forEach((from, row) => WORKLOADS.forEach((to, col) => {
        const want = expected(c, family, row, col);
        for (const port of PORTS) for (const protocol of PROTOCOLS) {
          const cell = `v${family} ${from} -> ${to} ${port}/${protocol}`;
          const e = explainer({ from, to, port, protocol, family });
          if (e.allowed !== want.has(`${port}/${protocol}`)) wrong.push(`explain ${cell}: got ${e.allowed}`);
          const bad = checkKernel(plan, e, sim.run(e.from.ip, e.to.ip, protocol, port));
          if (bad) wrong.push(`${cell}: ${bad}`);
        }
      }));
    }
    assert.deepEqual(wrong.slice(0, 20), [], `${wrong.length} wrong cells`);
  });
}

test("explain names the tier, the policy and the rule that decided", () => {
  const explainer = createExplainer(world, parsePolicies(ADMIN_CASES[1]!.yaml));
  const passed = explainer({ from: "y/b", to: "x/a", port: 80, protocol: "TCP" });
  assert.equal(passed.ingress.tier, "networkPolicy");
  assert.deepEqual(passed.ingress.passedBy, { policy: "anp:pass-y", direction: "ingress", ruleIndex: 0, tier: "admin", action: "Pass" });
  assert.deepEqual(passed.ingress.allowedBy, [{ policy: "x/a-from-yb", direction: "ingress", ruleIndex: 0 }]);
  assert.equal(passed.egress.tier, "none");
  const denied = createExplainer(world, parsePolicies(ADMIN_CASES[0]!.yaml))({ from: "y/a", to: "x/c", port: 81, protocol: "UDP" });
  assert.equal(denied.allowed, false);
  assert.equal(denied.ingress.tier, "admin");
  assert.deepEqual(denied.ingress.decidedBy, { policy: "anp:deny-y-to-x", direction: "ingress", ruleIndex: 0, deny: true, tier: "admin", action: "Deny", name: "no-y" });
  const base = createExplainer(world, parsePolicies(ADMIN_CASES[2]!.yaml))({ from: "z/a", to: "z/b", port: 80, protocol: "TCP" });
  assert.equal(base.ingress.tier, "baseline");
  assert.equal(base.ingress.decidedBy?.policy, "banp:default");
});

test("the admin tiers' lookups: AdminNetworkPolicy before everything, the baseline after the default deny", () => {
  const plan = compilePolicies(world, parsePolicies(ADMIN_CASES[2]!.yaml + "\n---\n" + ADMIN_CASES[0]!.yaml));
  const rules = (name: string) => plan.chains.find((c) => c.name === name)!.rules;
  const tier = (_t: string, ip: string) => `${ip} daddr . ${ip} saddr . meta l4proto . th dport`;
  const unpassed = (t: string, ip: "ip" | "ip6") => `${tier(t, ip)} != @pol_in_${t}_pass_v${ip === "ip" ? 4 : 6}`;
  assert.deepEqual(rules("pol_ingress"), [
    `${unpassed("anp", "ip")} meta mark set ${tier("anp", "ip")} map @pol_in_anp_deny_v4 goto pol_in_drop`,
    `${unpassed("anp", "ip6")} meta mark set ${tier("anp", "ip6")} map @pol_in_anp_deny_v6 goto pol_in_drop`,
    `${unpassed("anp", "ip")} ct mark set ${tier("anp", "ip")} map @pol_in_anp_allow_v4 return`,
    `${unpassed("anp", "ip6")} ct mark set ${tier("anp", "ip6")} map @pol_in_anp_allow_v6 return`,
    // The allow maps' shards (plan/names.ts), each chain ending in pol_in_rest.
    ...shardDispatch("ingress", "daddr"),
    "goto pol_in_rest",
  ]);
  assert.deepEqual(rules("pol_in_rest"), [
    "meta mark set ip daddr map @pol_in_deny_v4 goto pol_in_drop",
    "meta mark set ip6 daddr map @pol_in_deny_v6 goto pol_in_drop",
    `${unpassed("banp", "ip")} meta mark set ${tier("banp", "ip")} map @pol_in_banp_deny_v4 goto pol_in_drop`,
    `${unpassed("banp", "ip6")} meta mark set ${tier("banp", "ip6")} map @pol_in_banp_deny_v6 goto pol_in_drop`,
    `${unpassed("banp", "ip")} ct mark set ${tier("banp", "ip")} map @pol_in_banp_allow_v4 return`,
    `${unpassed("banp", "ip6")} ct mark set ${tier("banp", "ip6")} map @pol_in_banp_allow_v6 return`,
  ]);
  // Without admin policies the table is what it was: no tier maps, no lookups.
  const plain = compilePolicies(world, parsePolicies(ADMIN_CASES[0]!.yaml.split("---")[1]!));
  assert.ok(!plain.sets.some((s) => /_b?anp_/.test(s.name)));
  assert.equal(plain.chains.find((c) => c.name === "pol_ingress")!.rules.length, 3);
  assert.equal(plain.chains.find((c) => c.name === "pol_in_rest")!.rules.length, 2);
});

test("what-if names the AdminNetworkPolicy that would deny", () => {
  const [deny, np] = parsePolicies(ADMIN_CASES[0]!.yaml);
  const [out] = whatIf(world, [np!], [deny!], [{ from: "y/a", to: "x/b", port: 80, protocol: "TCP" }]);
  assert.deepEqual([out!.allowedNow, out!.allowedAfter, out!.deniedBy], [true, false, ["anp:deny-y-to-x"]]);
});
