// AdminNetworkPolicy and BaselineAdminNetworkPolicy through the engine on a real kernel: the world
// of policy-engine.test.ts (policy-engine-world.ts: namespaces x/y/z, workloads a/b/c, TCP and UDP
// on 80 and 81), each tier case applied with `ponton policy apply`, every pair probed with real
// traffic and compared with the daemon's `policy explain`; explain, `policy ls` and the drop's flow
// record name the tier, policy and rule.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { eventually } from "../harness";
import { policyEngineWorld, type Probe } from "./policy-engine-world";
import { ADMIN_CASES } from "../../../src/policy/admin/cases";

describe("admin policy tiers through the engine", () => {
  const world = policyEngineWorld("hanp");
  const { probeAll, disagreements, apply, removeAll } = world;

  for (const c of ADMIN_CASES) {
    test(`kernel agrees with policy explain: ${c.name}`, async () => {
      assert.ok((await apply(c.yaml)).length > 0);
      try {
        assert.deepEqual(await disagreements(), []);
      } finally {
        await removeAll();
      }
    });
  }

  test("explain, policy ls and the drop's flow record name the tier and rule; policy rm anp:NAME restores traffic", async () => {
    const c = ADMIN_CASES.find((x) => x.name === "ANP Deny beats a NetworkPolicy allow-all")!;
    assert.deepEqual((await apply(c.yaml)).sort(), ["anp:deny-y-to-x", "x/allow-all"]);
    try {
      const ls = JSON.parse(await world.h.pontonOk("policy", "ls", "-o", "json")) as { kind: string; name: string; tier: string; priority?: number }[];
      assert.deepEqual(ls.map((p) => [p.kind, p.name, p.tier, p.priority]).sort(), [["AdminNetworkPolicy", "deny-y-to-x", "admin", 10], ["NetworkPolicy", "allow-all", "networkPolicy", undefined]]);
      const table = (await world.h.pontonOk("policy", "ls")).split("\n");
      assert.match(table[0]!, /^TIER\s+PRIORITY\s+NAMESPACE\s+NAME/);
      assert.match(table[1]!, /^admin\s+10\s+\*\s+anp:deny-y-to-x/);
      assert.match(table[2]!, /^networkPolicy\s+-\s+x\s+allow-all/);

      const cell: Probe = { from: "yb", to: "xc", port: 80, proto: "TCP" };
      assert.equal((await probeAll([cell])).get(cell), false);
      const cli = await world.h.pontonOk("policy", "explain", "--from", "y/yb", "--to", "x/xc", "--port", "80/tcp");
      assert.match(cli, /^DENIED/);
      assert.match(cli, /ingress: DENIED by AdminNetworkPolicy anp:deny-y-to-x ingress\[0\] "no-y" \(Deny\) \[id \d+\]/);
      const json = JSON.parse(await world.h.pontonOk("policy", "explain", "--from", "y/yb", "--to", "x/xc", "--port", "80/tcp", "-o", "json")) as { ingress: { tier: string; isolated: boolean }; ids: { ingress?: number } };
      assert.equal(json.ingress.tier, "admin");
      assert.equal(json.ingress.isolated, true, "the NetworkPolicy isolates too: the admin tier decided before it");
      type Drop = { source: { workload?: string }; destination: { workload?: string }; direction?: string; policies: string[]; summary: string; decisionId?: number; rule?: { tier?: string; action?: string } };
      let drops: Drop[] = [];
      const seen = () => drops.some((d) => d.source.workload === "yb" && d.destination.workload === "xc" && d.direction === "ingress" && d.policies.join() === "anp:deny-y-to-x"
        && d.rule?.tier === "admin" && d.rule.action === "Deny" && d.decisionId === json.ids.ingress && /^denied by AdminNetworkPolicy anp:deny-y-to-x ingress\[0\] "no-y" \(Deny\)$/.test(d.summary));
      await eventually(async () => {
        drops = JSON.parse(await world.h.pontonOk("observe", "--verdict", "DROPPED", "--workload", "xc", "--port", "80", "-o", "json")) as Drop[];
        return seen();
      }, 5000);
      assert.ok(seen(), JSON.stringify(drops));
      await world.h.pontonOk("policy", "rm", "anp:deny-y-to-x");
      assert.equal((await probeAll([cell])).get(cell), true);
      assert.match(await world.h.pontonOk("policy", "explain", "--from", "y/yb", "--to", "x/xc", "--port", "80/tcp"), /ingress: allowed by x\/allow-all ingress\[0\]/);
    } finally {
      await removeAll();
    }
  });

  test("explain names the Pass that handed a connection to NetworkPolicy", async () => {
    await apply(ADMIN_CASES.find((x) => x.name === "ANP Pass skips lower admin rules and defers to NetworkPolicy")!.yaml);
    try {
      const cli = await world.h.pontonOk("policy", "explain", "--from", "y/ya", "--to", "x/xa", "--port", "81/udp");
      assert.match(cli, /ingress: DENIED — isolated by x\/a-from-yb and no rule admits it \[id \d+\] — passed on by anp:pass-y ingress\[0\] \(Pass\)/);
    } finally {
      await removeAll();
    }
  });

  test("fields Ponton does not enforce (nodes) are refused with POLICY_NOT_IMPLEMENTED naming the field; nothing applied", async () => {
    const file = path.join(world.h.dir, "nodes.yaml");
    writeFileSync(file, `apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: n}\nspec:\n  priority: 1\n  subject: {namespaces: {}}\n  egress:\n  - action: Deny\n    to: [{nodes: {matchLabels: {}}}]\n`);
    const r = await world.h.ponton("policy", "apply", "-f", file);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /POLICY_NOT_IMPLEMENTED/);
    assert.match(r.stderr, /spec\.egress\[0\]\.to\[0\]\.nodes: nodes \(traffic between a workload and its host is not policed on the forward path\) is not implemented yet/);
    assert.deepEqual(JSON.parse(await world.h.pontonOk("policy", "ls", "-o", "json")), []);
  });

  test("ponton up applies a BaselineAdminNetworkPolicy document and ponton down removes it", async () => {
    const c = ADMIN_CASES.find((x) => x.name === "baseline egress Deny where no NetworkPolicy isolates egress")!;
    const file = path.join(world.h.dir, "banp-project.yaml");
    writeFileSync(file, `name: banpproj\nnamespaces:\n  x: {labels: {ns: x}}\n---\n${c.yaml.split("---")[0]}\n`);
    await world.h.pontonOk("up", file);
    const ls = JSON.parse(await world.h.pontonOk("policy", "ls", "-o", "json")) as { kind: string; name: string; project?: string; tier: string }[];
    assert.deepEqual(ls.map((p) => [p.kind, p.name, p.project, p.tier]), [["BaselineAdminNetworkPolicy", "default", "banpproj", "baseline"]]);
    const cell: Probe = { from: "xb", to: "zc", port: 81, proto: "UDP" };
    assert.equal((await probeAll([cell])).get(cell), false);
    await world.h.pontonOk("down", file);
    assert.deepEqual(JSON.parse(await world.h.pontonOk("policy", "ls", "-o", "json")), []);
    assert.equal((await probeAll([cell])).get(cell), true);
  });
});
