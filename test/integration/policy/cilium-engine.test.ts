// CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy through the engine on a real kernel:
// the world of policy-engine.test.ts (policy-engine-world.ts: namespaces x/y/z, workloads a/b/c,
// TCP and UDP on 80 and 81), Cilium cases applied with `ponton policy apply`, every pair probed
// and compared with the daemon's `policy explain`; explain and flow records name the deny rule.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { eventually } from "../harness";
import { policyEngineWorld, type Probe } from "./policy-engine-world";
import { CILIUM_CASES } from "../../../src/policy/cilium/cases";

describe("Cilium policies through the engine", () => {
  const world = policyEngineWorld("cnpe");
  const { probeAll, disagreements, apply, removeAll } = world;

  const CASES = ["CCNP selects and admits across namespaces", "a CNP deny wins over a NetworkPolicy allow", "egressDeny by namespace, allow to all"];
  for (const name of CASES) {
    test(`kernel agrees with policy explain: ${name}`, async () => {
      const c = CILIUM_CASES.find((x) => x.name === name);
      assert.ok(c, `no case ${name}`);
      assert.ok((await apply(c.yaml)).length > 0);
      try {
        assert.deepEqual(await disagreements(), []);
      } finally {
        await removeAll();
      }
    });
  }

  test("explain and the drop's flow record name the deny rule; policy rm cnp:NAME restores traffic", async () => {
    const c = CILIUM_CASES.find((x) => x.name === "deny wins over allow (two CNPs)")!;
    assert.deepEqual((await apply(c.yaml)).sort(), ["cnp:x/allow-all", "cnp:x/deny-b-80"]);
    try {
      const cell: Probe = { from: "xb", to: "xc", port: 80, proto: "TCP" };
      assert.equal((await probeAll([cell])).get(cell), false);
      const cli = await world.h.pontonOk("policy", "explain", "--from", "x/xb", "--to", "x/xc", "--port", "80/tcp");
      assert.match(cli, /ingress: DENIED by cnp:x\/deny-b-80 ingressDeny\[0\] \(deny wins over allow\)/);
      assert.match(await world.h.pontonOk("policy", "explain", "--from", "x/xb", "--to", "x/xc", "--port", "81/tcp"), /^ALLOWED/);
      type Drop = { source: { workload?: string }; destination: { workload?: string }; direction?: string; policies: string[]; summary: string };
      let drops: Drop[] = [];
      const seen = () => drops.some((d) => d.source.workload === "xb" && d.destination.workload === "xc" && d.direction === "ingress" && d.policies.join() === "cnp:x/deny-b-80" && /ingressDeny\[0\]/.test(d.summary));
      await eventually(async () => {
        drops = JSON.parse(await world.h.pontonOk("observe", "--verdict", "DROPPED", "--workload", "xc", "--port", "80", "-o", "json")) as Drop[];
        return seen();
      }, 5000);
      assert.ok(seen(), JSON.stringify(drops));
      await world.h.pontonOk("policy", "rm", "-n", "x", "cnp:deny-b-80");
      assert.equal((await probeAll([cell])).get(cell), true);
    } finally {
      await removeAll();
    }
  });

  test("L7 rules Ponton does not enforce (kafka) are refused with POLICY_NOT_IMPLEMENTED naming the field; nothing applied", async () => {
    const file = path.join(world.h.dir, "l7.yaml");
    writeFileSync(file, `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: l7, namespace: x}\nspec:\n  endpointSelector: {}\n  ingress:\n  - toPorts: [{ports: [{port: "80", protocol: TCP}], rules: {kafka: [{topic: a}]}}]\n`);
    const r = await world.h.ponton("policy", "apply", "-f", file);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /POLICY_NOT_IMPLEMENTED/);
    assert.match(r.stderr, /spec\.ingress\[0\]\.toPorts\[0\]\.rules\.kafka: L7 rules \(kafka\) is not implemented yet/);
    assert.deepEqual(JSON.parse(await world.h.pontonOk("policy", "ls", "-o", "json")), []);
  });

  test("ponton up applies a CiliumClusterwideNetworkPolicy document and ponton down removes it", async () => {
    const c = CILIUM_CASES.find((x) => x.name === "CCNP selects and admits across namespaces")!;
    const file = path.join(world.h.dir, "cnp-project.yaml");
    writeFileSync(file, `name: cnpproj\nnamespaces:\n  x: {labels: {ns: x}}\n---\n${c.yaml}\n`);
    await world.h.pontonOk("up", file);
    const ls = JSON.parse(await world.h.pontonOk("policy", "ls", "-o", "json")) as { kind: string; name: string; project?: string }[];
    assert.deepEqual(ls.map((p) => [p.kind, p.name, p.project]), [["CiliumClusterwideNetworkPolicy", "c-from-a", "cnpproj"]]);
    const cell: Probe = { from: "yb", to: "zc", port: 81, proto: "UDP" };
    assert.equal((await probeAll([cell])).get(cell), false);
    await world.h.pontonOk("down", file);
    assert.deepEqual(JSON.parse(await world.h.pontonOk("policy", "ls", "-o", "json")), []);
    assert.equal((await probeAll([cell])).get(cell), true);
  });

  // Last: it removes namespace z and its workloads.
  test("a clusterwide policy is in no namespace; namespace rm --force removes the namespace's CiliumNetworkPolicies", async () => {
    await apply(CILIUM_CASES.find((x) => x.name === "CCNP selects and admits across namespaces")!.yaml);
    await apply(CILIUM_CASES.find((x) => x.name === "CNP egress toEndpoints by namespace label, port 81 ANY")!.yaml);
    const names = (JSON.parse(await world.h.pontonOk("namespace", "ls", "-o", "json")) as { name: string; policies: number }[]).map((n) => [n.name, n.policies]);
    assert.deepEqual(names.filter(([n]) => ["", "x", "y", "z"].includes(n as string)), [["x", 0], ["y", 0], ["z", 1]]);
    await world.h.pontonOk("namespace", "rm", "z", "--force");
    const ls = JSON.parse(await world.h.pontonOk("policy", "ls", "-o", "json")) as { kind: string; name: string }[];
    assert.deepEqual(ls.map((p) => [p.kind, p.name]), [["CiliumClusterwideNetworkPolicy", "c-from-a"]]);
    await removeAll();
  });
});
