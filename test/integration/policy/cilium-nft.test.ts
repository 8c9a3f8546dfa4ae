import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePolicies, createExplainer, denyDecisionId, ruleDecisionId } from "../../../src/policy";
import { CILIUM_CASES } from "../../../src/policy/cilium/cases";
import { WORKLOADS, ipv6Of } from "../../../src/policy/testing/world";
import { policyKernelWorld } from "./policy-kernel-world";

// CiliumNetworkPolicy on the real kernel: the truth-table world of policy-nft.test.ts
// (policy-kernel-world.ts), Cilium cases loaded, real TCP/UDP probes checked against explain(),
// and the ids the kernel records checked too: deny-rule ids for Cilium denies.

const { probe, load, marksIn } = policyKernelWorld("cnp");

function dropMark(plan: ReturnType<typeof compilePolicies>, e: ReturnType<ReturnType<typeof createExplainer>>): number {
  // Egress is checked first; in each direction deny rules come before allows.
  const [dir, d] = e.egress.allowed ? ["ingress", e.ingress] as const : ["egress", e.egress] as const;
  return d.deniedBy ? ruleDecisionId(plan, d.deniedBy[0]!)! : denyDecisionId(plan, dir, d.isolatedBy)!;
}

for (const c of CILIUM_CASES) {
  test(`kernel agrees with explain: ${c.name}`, async () => {
    const { plan, explainer } = load(c.yaml);
    const jobs: Promise<string | null>[] = [];
    const allowed: { key: string; mark: number; cell: string }[] = [];
    const denied: { key: string; mark: number; cell: string }[] = [];
    for (const from of WORKLOADS) for (const to of WORKLOADS) {
      if (from === to) continue; // a workload reaching itself stays on its loopback
      for (const port of [80, 81]) for (const proto of ["TCP", "UDP"] as const) {
        const e = explainer({ from, to, port, protocol: proto, family: 4 });
        const cell = `${from} -> ${to} ${port}/${proto}`;
        const key = `${e.from.ip} ${e.to.ip} ${proto.toLowerCase()} ${port}`;
        if (e.allowed) {
          const decider = e.ingress.isolated ? e.ingress.allowedBy[0] : e.egress.allowedBy[0];
          allowed.push({ key, mark: decider ? ruleDecisionId(plan, decider)! : 0, cell });
        } else denied.push({ key, mark: dropMark(plan, e), cell });
        jobs.push(probe(from, proto, e.to.ip, port).then((ok) => (ok === e.allowed ? null : `${cell}: kernel ${ok ? "allowed" : "dropped"}, explain ${e.allowed ? "allows" : "denies"}`)));
      }
    }
    assert.deepEqual((await Promise.all(jobs)).filter((x) => x !== null), []);
    const marks = marksIn("seen4");
    assert.deepEqual(allowed.filter((a) => marks.get(a.key) !== a.mark).map((a) => `${a.cell}: ct mark ${marks.get(a.key)}, want ${a.mark}`), []);
    const drops = marksIn("pol_drops_v4");
    assert.deepEqual(denied.filter((a) => drops.get(a.key) !== a.mark).map((a) => `${a.cell}: drop mark ${drops.get(a.key)}, want ${a.mark}`), []);
    assert.equal(drops.size, denied.length);
  });
}

test("IPv6: a deny rule wins over an allow on the real kernel", async () => {
  const c = CILIUM_CASES.find((x) => x.name === "deny wins over allow (two CNPs)")!;
  const { explainer } = load(c.yaml);
  for (const [port, want] of [[80, false], [81, true]] as const) {
    const e = explainer({ from: "x/b", to: "x/c", port, protocol: "TCP", family: 6 });
    assert.equal(e.allowed, want);
    assert.equal(await probe("x/b", "TCP", ipv6Of(0, 2), port), want, `x/b -> x/c [v6] ${port}/TCP`);
  }
});
