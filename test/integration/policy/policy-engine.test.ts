// NetworkPolicy through the engine on a real kernel: namespaces x/y/z with workloads a/b/c each
// (TCP and UDP listeners on 80 and 81), truth-table policies applied with `ponton policy apply`,
// every pair probed and compared with the daemon's own `policy explain`, cell by cell.
// Each namespace has its own network, at the truth-table world's addresses (so ipBlock cases mean
// what they say): same-namespace traffic is bridged (br_netfilter path), the rest routed between networks.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { eventually } from "../harness";
import { policyEngineWorld, type Probe } from "./policy-engine-world";
import { TRUTH_CASES } from "../../../src/policy/testing/truth-cases";

describe("network policy through the engine", () => {
  const world = policyEngineWorld("pe");
  const { probeAll, disagreements, apply, removeAll } = world;

  // Every truth-table case with a policy (IPv4 probes; SCTP-only differences are covered by the unit tests).
  const CASES = TRUTH_CASES.filter((c) => c.yaml.trim() !== "").map((c) => c.name);
  for (const name of CASES) {
    test(`kernel agrees with policy explain: ${name}`, async () => {
      const c = TRUTH_CASES.find((x) => x.name === name);
      assert.ok(c, `no truth case ${name}`);
      const applied = await apply(c.yaml);
      assert.ok(applied.length > 0);
      try {
        assert.deepEqual(await disagreements(), []);
      } finally {
        await removeAll();
      }
    });
  }

  test("a label change takes effect at once (ponton label), and policy explain says so", async () => {
    const c = TRUTH_CASES.find((x) => x.name === "x/a from pod=b of its namespace")!;
    await apply(c.yaml);
    try {
      const cell: Probe = { from: "xc", to: "xa", port: 80, proto: "TCP" };
      assert.equal((await probeAll([cell])).get(cell), false);
      const cli = await world.h.pontonOk("policy", "explain", "--from", "x/xc", "--to", "x/xa", "--port", "80/tcp");
      assert.match(cli, /^DENIED/);
      await world.h.pontonOk("label", "xc", "pod=b");
      assert.match(await world.h.pontonOk("policy", "explain", "--from", "xc", "--to", "xa", "--port", "80/tcp"), /^ALLOWED/);
      assert.equal((await probeAll([cell])).get(cell), true);
      await world.h.pontonOk("label", "xc", "pod=c");
      assert.equal((await probeAll([cell])).get(cell), false);
      assert.deepEqual(await disagreements(), []);
    } finally {
      await removeAll();
    }
  });

  test("a namespace label change re-targets namespaceSelector peers", async () => {
    const c = TRUTH_CASES.find((x) => x.name === "x/a from namespace y")!;
    await apply(c.yaml);
    try {
      const cell: Probe = { from: "zb", to: "xa", port: 81, proto: "UDP" };
      assert.equal((await probeAll([cell])).get(cell), false);
      await world.h.pontonOk("namespace", "label", "z", "ns=y");
      assert.equal((await probeAll([cell])).get(cell), true);
      await world.h.pontonOk("namespace", "label", "z", "ns=z");
      assert.deepEqual(await disagreements(), []);
    } finally {
      await removeAll();
    }
  });

  test("policy rm restores traffic; a bad policy applies nothing", async () => {
    const c = TRUTH_CASES.find((x) => x.name === "deny-all ingress in x")!;
    await apply(c.yaml);
    const cell: Probe = { from: "ya", to: "xb", port: 80, proto: "TCP" };
    assert.equal((await probeAll([cell])).get(cell), false);
    // The drop is a flow record from the kernel's log, named by the policy that isolated xb.
    type Drop = { source: { workload?: string }; destination: { workload?: string; port: number }; protocol: string; direction?: string; policies: string[] };
    let drops: Drop[] = [];
    const seen = () => drops.some((d) => d.source.workload === "ya" && d.destination.workload === "xb" && d.protocol === "tcp" && d.direction === "ingress" && d.policies.join() === "x/deny-all");
    await eventually(async () => {
      drops = JSON.parse(await world.h.pontonOk("observe", "--verdict", "DROPPED", "--workload", "xb", "--port", "80", "-o", "json")) as Drop[];
      return seen();
    }, 5000);
    assert.ok(seen(), JSON.stringify(drops));
    assert.equal((await world.h.ponton("observe", "--verdict", "ALLOWED")).code, 2);
    await world.h.pontonOk("policy", "rm", "x/deny-all");
    assert.equal((await probeAll([cell])).get(cell), true);
    const bad = path.join(world.h.dir, "bad.yaml");
    writeFileSync(bad, `${c.yaml}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad, namespace: x}\nspec: {podSelector: {}, ingress: [{ports: [{port: 70000}]}]}\n`);
    const r = await world.h.ponton("policy", "apply", "-f", bad);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(JSON.parse(await world.h.pontonOk("policy", "ls", "-o", "json")), []);
    assert.equal((await probeAll([cell])).get(cell), true);
  });

  test("ponton up applies policies (inline and as NetworkPolicy documents) and ponton down removes them", async () => {
    const deny = TRUTH_CASES.find((x) => x.name === "deny-all ingress in x")!;
    const file = path.join(world.h.dir, "pol-project.yaml");
    writeFileSync(file, `name: polproj\nnamespaces:\n  x: {labels: {ns: x}}\n---\n${deny.yaml}\n`);
    await world.h.pontonOk("up", file);
    const ls = JSON.parse(await world.h.pontonOk("policy", "ls", "-o", "json")) as { namespace: string; name: string; project?: string }[];
    assert.deepEqual(ls.map((p) => [p.namespace, p.name, p.project]), [["x", "deny-all", "polproj"]]);
    const cell: Probe = { from: "zc", to: "xc", port: 81, proto: "TCP" };
    assert.equal((await probeAll([cell])).get(cell), false);
    await world.h.pontonOk("down", file);
    assert.deepEqual(JSON.parse(await world.h.pontonOk("policy", "ls", "-o", "json")), []);
    assert.equal((await probeAll([cell])).get(cell), true);
  });

  test("the skeleton jumps to the policy chain in the forward path, and nft holds no leftover policy elements", async () => {
    const r = await world.h.inHost("nft", ["list", "chain", "inet", "ponton", "forward"]);
    assert.match(r.stdout, /ct state new jump pol_forward/);
    const m = await world.h.inHost("nft", ["list", "map", "inet", "ponton", "pol_in_deny_v4"]);
    assert.doesNotMatch(m.stdout, /elements/);
    // Every policy, label and namespace change above went in as an element diff, not a table reload.
    const info = await world.h.client.request<{ nftDiffFallbacks: number }>("GET", "/v1/info");
    assert.equal(info.nftDiffFallbacks, 0);
  });
});
