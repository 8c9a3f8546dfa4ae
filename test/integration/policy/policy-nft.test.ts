import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePolicies, denyDecisionId, parsePolicies, renderPolicyReplace, ruleDecisionId } from "../../../src/policy";
import { TRUTH_CASES } from "../../../src/policy/testing/truth-cases";
import { WORKLOADS, ipv4Of } from "../../../src/policy/testing/world";
import { policyKernelWorld } from "./policy-kernel-world";

// Real kernel: the truth-table world on a bridge (policy-kernel-world.ts), each case's compiled
// policy loaded into `table inet ponton`, and real TCP/UDP probes that must agree with explain().

const { world, hostNft, probe, load, marksIn } = policyKernelWorld("pol");

const CASES: [string, (4 | 6)[]][] = [
  ["deny-all ingress in x", [4]],
  ["default deny ingress and egress in x", [4]],
  ["x/a from pod=b AND namespace y (one peer)", [4]],
  ["x/a from IPv4 ipBlock with excepts", [4, 6]],
  ["x/a from IPv6 ipBlock with except", [6]],
  ["x/a TCP 80-81 (endPort) from its namespace", [4]],
  ["x/a on named port serve-81-udp/UDP", [4]],
  ["x/a egress to ipBlock of z on UDP 81", [4]],
  ["x/a egress to y/b TCP 80, y/b ingress only from x", [4]],
  ["all of z from x on UDP 81 and named SCTP port", [4]],
];

for (const [name, families] of CASES) {
  test(`kernel agrees with explain: ${name}`, async () => {
    const c = TRUTH_CASES.find((x) => x.name === name);
    assert.ok(c, `no truth case ${name}`);
    const { plan, explainer } = load(c.yaml);
    const jobs: Promise<string | null>[] = [];
    const allowedV4: { key: string; mark: number; cell: string }[] = [];
    const deniedV4: { key: string; mark: number; cell: string }[] = [];
    for (const family of families) {
      for (const from of WORKLOADS) for (const to of WORKLOADS) {
        if (from === to) continue; // a workload reaching itself stays on its loopback
        for (const port of [80, 81]) for (const proto of ["TCP", "UDP"] as const) {
          const e = explainer({ from, to, port, protocol: proto, family });
          const cell = `v${family} ${from} -> ${to} ${port}/${proto}`;
          const key = `${e.from.ip} ${e.to.ip} ${proto.toLowerCase()} ${port}`;
          if (e.allowed && family === 4) {
            const decider = e.ingress.isolated ? e.ingress.allowedBy[0] : e.egress.allowedBy[0];
            allowedV4.push({ key, mark: decider ? ruleDecisionId(plan, decider)! : 0, cell });
          } else if (family === 4) {
            // Egress is checked first: a connection both sides deny is the source's drop.
            const [dir, d] = e.egress.allowed ? ["ingress", e.ingress] as const : ["egress", e.egress] as const;
            deniedV4.push({ key, mark: denyDecisionId(plan, dir, d.isolatedBy)!, cell });
          }
          jobs.push(probe(from, proto, e.to.ip, port).then((ok) => (ok === e.allowed ? null : `${cell}: kernel ${ok ? "allowed" : "dropped"}, explain ${e.allowed ? "allows" : "denies"}`)));
        }
      }
    }
    const wrong = (await Promise.all(jobs)).filter((x): x is string => x !== null);
    assert.deepEqual(wrong, []);
    // The decision id of every allowed new connection is on its conntrack entry.
    const marks = marksIn("seen4");
    const badMarks = allowedV4.filter((a) => marks.get(a.key) !== a.mark).map((a) => `${a.cell}: ct mark ${marks.get(a.key)}, want ${a.mark}`);
    assert.deepEqual(badMarks, []);
    // Every drop is in the recent-drops set with the id of the policies that isolated.
    const drops = marksIn("pol_drops_v4");
    const badDrops = deniedV4.filter((a) => drops.get(a.key) !== a.mark).map((a) => `${a.cell}: drop mark ${drops.get(a.key)}, want ${a.mark}`);
    assert.deepEqual(badDrops, []);
    assert.equal(drops.size, deniedV4.length);
  });
}

test("renderPolicyReplace swaps the policy of a live table in one transaction, keeping recent drops", async () => {
  const deny = TRUTH_CASES.find((x) => x.name === "deny-all ingress in x")!;
  const allow = TRUTH_CASES.find((x) => x.name === "x/a from namespace y")!;
  load(deny.yaml);
  assert.equal(await probe("y/a", "TCP", ipv4Of(0, 1), 80), false);
  const next = compilePolicies(world, parsePolicies(allow.yaml));
  hostNft(["-f", "-"], renderPolicyReplace(next));
  assert.equal(await probe("y/a", "TCP", ipv4Of(0, 1), 80), true); // x/b no longer isolated
  assert.equal(await probe("y/a", "TCP", ipv4Of(0, 0), 80), true); // x/a admits namespace y
  assert.equal(await probe("z/a", "TCP", ipv4Of(0, 0), 80), false);
  const drops = marksIn("pol_drops_v4");
  assert.ok(drops.has(`${ipv4Of(1, 0)} ${ipv4Of(0, 1)} tcp 80`), "the drop recorded before the update is still there");
  assert.equal(drops.get(`${ipv4Of(2, 0)} ${ipv4Of(0, 0)} tcp 80`), denyDecisionId(next, "ingress", ["x/a-from-y"]));
});
