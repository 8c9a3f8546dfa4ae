import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePolicies } from "../plan/compile";
import { denyDecisionId, describeDecision, ruleDecisionId } from "../plan/decisions";
import { createExplainer } from "../evaluate";
import { parsePolicies, parsePolicy } from "../parse";
import { randomPolicies, randomWorld, rng } from "../testing/random";
import { randomCiliumPolicies } from "./random";
import { PlanSim } from "../testing/nft-sim";
import { CILIUM_CASES } from "./cases";
import type { TruthCase } from "../testing/truth-cases";
import { PORTS, PROTOCOLS, WORKLOADS, truthWorld } from "../testing/world";
import type { Explanation } from "../evaluate";
import type { PolicyPlan } from "../plan/plan";
import type { SimVerdict } from "../testing/nft-sim";

// Cilium semantics cell by cell: explain() against hand-written matrices, and the compiled plan
// through the kernel model against explain(), ids included (deny-rule ids for Cilium denies).

const world = truthWorld();

function expected(c: TruthCase, row: number, col: number): Set<string> {
  const ch = c.v4[row]![col]!;
  if (ch === "#") return new Set(PORTS.flatMap((p) => PROTOCOLS.map((pr) => `${p}/${pr}`)));
  if (ch === ".") return new Set();
  assert.ok(c.legend?.[ch], `${c.name}: no legend for '${ch}'`);
  return new Set(c.legend[ch]);
}

/** The kernel model agrees with explain, and carries the id explain names. */
function checkKernel(plan: PolicyPlan, e: Explanation, k: SimVerdict): string | undefined {
  if (k.allowed !== e.allowed) return `kernel model: got ${k.allowed}`;
  if (k.drop) {
    const dir = k.drop.direction === "egress" ? e.egress : e.ingress;
    const want = dir.deniedBy ? ruleDecisionId(plan, dir.deniedBy[0]!) : denyDecisionId(plan, k.drop.direction, dir.isolatedBy);
    return k.drop.mark === want ? undefined : `drop id ${k.drop.mark}, want ${want}`;
  }
  const decider = e.ingress.isolated ? e.ingress.allowedBy[0] : e.egress.allowedBy[0];
  const want = decider ? ruleDecisionId(plan, decider) : 0;
  return k.ctMark === want ? undefined : `ct mark ${k.ctMark}, want ${want}`;
}

for (const c of CILIUM_CASES) {
  test(`cilium truth table: ${c.name}`, () => {
    const policies = parsePolicies(c.yaml);
    const explainer = createExplainer(world, policies);
    const plan = compilePolicies(world, policies);
    const sim = new PlanSim(plan);
    const wrong: string[] = [];
    for (const family of [4, 6] as const) {
      WORKLOADS.forEach((from, row) => WORKLOADS.forEach((to, col) => {
        const want = expected(c, row, col);
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

const OUTSIDE = `
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: out, namespace: x}
spec:
  endpointSelector: {matchLabels: {pod: a}}
  egress:
  - toCIDRSet: [{cidr: 192.0.2.0/24, except: [192.0.2.128/25]}]
  - toEntities: [world]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]
  egressDeny:
  - toCIDR: [192.0.2.7]
    toPorts: [{ports: [{port: "80", protocol: TCP}]}]
  ingress:
  - fromEntities: [world]
`;

test("outside addresses: CIDR except, world entity, deny rule on one address", () => {
  const policies = parsePolicies(OUTSIDE);
  const explainer = createExplainer(world, policies);
  const plan = compilePolicies(world, policies);
  const sim = new PlanSim(plan);
  const cases: [string, string, number, boolean][] = [
    ["x/a", "192.0.2.5", 80, true],
    ["x/a", "192.0.2.7", 80, false], // the deny rule
    ["x/a", "192.0.2.7", 81, true],
    ["x/a", "192.0.2.200", 80, false], // except
    ["x/a", "192.0.2.200", 443, true], // world on 443
    ["x/a", "198.51.100.1", 80, false],
    ["x/a", "x/b", 443, false], // world is not a workload
    ["192.0.2.9", "x/a", 22, true], // ingress from world
    ["x/b", "x/a", 80, false],
  ];
  for (const [from, to, port, want] of cases) {
    const e = explainer({ from, to, port, protocol: "TCP" });
    assert.equal(e.allowed, want, `explain ${from} -> ${to}:${port}`);
    assert.equal(checkKernel(plan, e, sim.run(e.from.ip, e.to.ip, "TCP", port)), undefined, `kernel ${from} -> ${to}:${port}`);
  }
  const denied = explainer({ from: "x/a", to: "192.0.2.7", port: 80, protocol: "TCP" });
  assert.deepEqual(denied.egress.deniedBy, [{ policy: "cnp:x/out", direction: "egress", ruleIndex: 0, deny: true }]);
  const id = ruleDecisionId(plan, denied.egress.deniedBy![0]!);
  assert.deepEqual(describeDecision(plan, id!), { id, kind: "denyRule", rule: denied.egress.deniedBy![0] });
});

test("deny lookups exist only when a policy has deny rules (NetworkPolicy plans are unchanged)", () => {
  const withDeny = compilePolicies(world, parsePolicies(OUTSIDE));
  const rules = withDeny.chains.find((ch) => ch.name === "pol_egress")!.rules;
  assert.equal(rules[0], "meta mark set ip saddr . ip daddr . meta l4proto . th dport map @pol_eg_xdeny_v4 goto pol_eg_drop");
  assert.ok(withDeny.sets.some((s) => s.name === "pol_in_xdeny_v6"));
  const allowOnly = compilePolicies(world, parsePolicies(CILIUM_CASES[0]!.yaml));
  assert.ok(!allowOnly.sets.some((s) => s.name.includes("xdeny")));
  // The rule count is fixed: 2 dispatch rules and a goto per direction and 256 shard chains of 2
  // (plan/names.ts ALLOW_SHARDS) in place of the 4 allow lookups; the deny lookups add 4.
  assert.equal(allowOnly.chains.reduce((n, ch) => n + ch.rules.length, 0), 18 - 4 + 6 + 512);
  assert.equal(withDeny.chains.reduce((n, ch) => n + ch.rules.length, 0), 22 - 4 + 6 + 512);
});

test("differential: explain() and the compiled plan agree on random worlds with Cilium and NetworkPolicies", () => {
  const outside = ["10.20.0.100", "10.20.0.200", "192.0.2.1", "fd00:20::99", "fd00:20::1f", "2001:db8::1"];
  let checked = 0;
  let denied = 0;
  for (let seed = 1; seed <= 50; seed++) {
    const r = rng(seed);
    const w = randomWorld(r);
    const policies = [...randomPolicies(r, Math.floor(r() * 2)), ...randomCiliumPolicies(r, 1 + Math.floor(r() * 3))].map(parsePolicy);
    const plan = compilePolicies(w, policies);
    const sim = new PlanSim(plan);
    const ex = createExplainer(w, policies);
    const ends = [...w.workloads.flatMap((x) => x.ips), ...outside];
    for (const from of ends) for (const to of ends) {
      if (from === to || from.includes(":") !== to.includes(":")) continue;
      if (outside.includes(from) && outside.includes(to)) continue;
      for (const port of [9, 53, 80, 443, 8080]) for (const protocol of PROTOCOLS) {
        const e = ex({ from, to, port, protocol });
        if (e.egress.deniedBy || e.ingress.deniedBy) denied++;
        const bad = checkKernel(plan, e, sim.run(from, to, protocol, port));
        assert.equal(bad, undefined, `seed ${seed}: ${from} -> ${to} ${port}/${protocol}`);
        checked++;
      }
    }
  }
  assert.ok(checked > 40000 && denied > 1000, `checked ${checked}, denied by a rule ${denied}`);
});
