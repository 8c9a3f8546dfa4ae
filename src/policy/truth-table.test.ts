import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePolicies } from "./plan/compile";
import { denyDecisionId, ruleDecisionId } from "./plan/decisions";
import { createExplainer } from "./evaluate";
import { parsePolicies } from "./parse";
import { PlanSim } from "./testing/nft-sim";
import { TRUTH_CASES, type TruthCase } from "./testing/truth-cases";
import { PORTS, PROTOCOLS, WORKLOADS, truthWorld } from "./testing/world";

// Every case, both address families, every (source, destination, port, protocol) cell:
// explain() must give the hand-written verdict, and the compiled plan, run through the
// kernel model, must give the same verdict and record the id of the rule explain() names.

const world = truthWorld();

function expectedCell(c: TruthCase, family: 4 | 6, row: number, col: number): Set<string> {
  const matrix = family === 6 && c.v6 ? c.v6 : c.v4;
  assert.equal(matrix.length, 9, `${c.name}: matrix has 9 rows`);
  const ch = matrix[row]![col];
  assert.ok(ch !== undefined && matrix[row]!.length === 9, `${c.name}: row ${row} has 9 cells`);
  if (ch === "#") return new Set(PORTS.flatMap((p) => PROTOCOLS.map((pr) => `${p}/${pr}`)));
  if (ch === ".") return new Set();
  const legend = c.legend?.[ch];
  assert.ok(legend, `${c.name}: no legend for '${ch}'`);
  return new Set(legend);
}

test("truth table has at least 25 distinct policy cases", () => {
  assert.ok(TRUTH_CASES.length >= 25);
  assert.equal(new Set(TRUTH_CASES.map((c) => c.name)).size, TRUTH_CASES.length);
});

for (const c of TRUTH_CASES) {
  test(`truth table: ${c.name}`, () => {
    const policies = parsePolicies(c.yaml);
    const explainer = createExplainer(world, policies);
    const plan = compilePolicies(world, policies);
    const sim = new PlanSim(plan);
    const wrong: string[] = [];
    for (const family of [4, 6] as const) {
      WORKLOADS.forEach((from, row) => {
        WORKLOADS.forEach((to, col) => {
          const want = expectedCell(c, family, row, col);
          for (const port of PORTS) {
            for (const protocol of PROTOCOLS) {
              const cell = `v${family} ${from} -> ${to} ${port}/${protocol}`;
              const e = explainer({ from, to, port, protocol, family });
              if (e.allowed !== want.has(`${port}/${protocol}`)) wrong.push(`explain ${cell}: got ${e.allowed}`);
              const k = sim.run(e.from.ip, e.to.ip, protocol, port);
              if (k.allowed !== e.allowed) { wrong.push(`kernel model ${cell}: got ${k.allowed}`); continue; }
              if (k.drop) {
                const dir = k.drop.direction === "egress" ? e.egress : e.ingress;
                if (k.drop.mark !== denyDecisionId(plan, k.drop.direction, dir.isolatedBy)) wrong.push(`drop id ${cell}`);
              } else {
                // The ingress rule's id when the destination is isolated, else the egress rule's.
                const decider = e.ingress.isolated ? e.ingress.allowedBy[0] : e.egress.allowedBy[0];
                const expectMark = decider ? ruleDecisionId(plan, decider) : 0;
                if (k.ctMark !== expectMark) wrong.push(`ct mark ${cell}: got ${k.ctMark}, want ${expectMark}`);
              }
            }
          }
        });
      });
    }
    assert.deepEqual(wrong.slice(0, 20), [], `${wrong.length} wrong cells`);
  });
}
