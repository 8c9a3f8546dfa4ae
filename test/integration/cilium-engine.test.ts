// CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy through the engine on a real kernel:
// the world of policy-engine.test.ts (setup copied from there: namespaces x/y/z, workloads a/b/c,
// TCP and UDP on 80 and 81), Cilium cases applied with `ponton policy apply`, every pair probed
// and compared with the daemon's `policy explain`; explain and flow records name the deny rule.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually } from "./harness";
import { CILIUM_CASES } from "../../src/policy/cilium/cases";
import { ipv4Of } from "../../src/policy/testing/world";

const NS = ["x", "y", "z"];
const PODS = ["a", "b", "c"];
const NAMES = NS.flatMap((n) => PODS.map((p) => `${n}${p}`));
const PROBES = NAMES.flatMap((from) => NAMES.filter((to) => to !== from).flatMap((to) => [80, 81].flatMap((port) => (["TCP", "UDP"] as const).map((proto) => ({ from, to, port, proto })))));
type Probe = (typeof PROBES)[number];

// Each workload answers "ok" on TCP and UDP 80 and 81 (one light process: a fork per datagram
// under hundreds of parallel probes loses replies).
const SERVE = `const net = require("net"), dgram = require("dgram");
for (const p of [80, 81]) {
  net.createServer((s) => { s.on("error", () => {}); s.end("ok"); }).listen(p);
  const u = dgram.createSocket("udp4");
  u.on("message", (m, r) => u.send("ok", r.port, r.address));
  u.bind(p);
}`;
const PROBE_FN = `probe() { if [ "$2" = TCP ]; then o=$(socat -T1 -u TCP:$3:$4,connect-timeout=1 - 2>/dev/null); else o=$(echo ping | socat -T2 -t1.5 - UDP:$3:$4 2>/dev/null); fi; [ "$o" = ok ] && echo "$1 1" || echo "$1 0"; }`;

interface Explained {
  allowed: boolean;
  egress: { isolatedBy: string[] };
  ingress: { isolatedBy: string[] };
}

describe("Cilium policies through the engine", () => {
  let h: TestHost;
  const ip = new Map<string, string>();

  /** All probes, one shell per source running its probes in parallel: name -> reachable. */
  async function probeAll(list: Probe[] = PROBES): Promise<Map<Probe, boolean>> {
    const out = new Map<Probe, boolean>();
    await Promise.all(
      NAMES.map(async (from) => {
        const mine = list.map((p, i) => ({ p, i })).filter(({ p }) => p.from === from);
        if (!mine.length) return;
        const script = [PROBE_FN, ...mine.map(({ p, i }) => `probe ${i} ${p.proto} ${ip.get(p.to)} ${p.port} &`), "wait"].join("\n");
        const r = await h.inWorkload(from, "sh", ["-c", script], 30_000);
        for (const line of r.stdout.split("\n").filter(Boolean)) {
          const [i, ok] = line.split(" ");
          out.set(list[Number(i)]!, ok === "1");
        }
      }),
    );
    return out;
  }

  const explainOf = (p: Probe) =>
    h.client.request<Explained>("GET", `/v1/policies/explain?${new URLSearchParams({ from: `${p.from[0]}/${p.from}`, to: `${p.to[0]}/${p.to}`, port: `${p.port}/${p.proto.toLowerCase()}` })}`);

  /** Explanations, a few requests at a time (hundreds at once overflow the socket's backlog). */
  async function explainAll(list: Probe[]): Promise<Explained[]> {
    const out: Explained[] = [];
    for (let i = 0; i < list.length; i += 16) out.push(...(await Promise.all(list.slice(i, i + 16).map(explainOf))));
    return out;
  }

  /** Cells where the kernel and `explain` disagree. */
  async function disagreements(list: Probe[] = PROBES): Promise<string[]> {
    const [seen, expected] = await Promise.all([probeAll(list), explainAll(list)]);
    return list.flatMap((p, i) => {
      const want = expected[i]!.allowed;
      const got = seen.get(p);
      return got === want ? [] : [`${p.from} -> ${p.to} ${p.port}/${p.proto}: kernel ${got ? "allowed" : got === false ? "dropped" : "no answer"}, explain ${want ? "allows" : "denies"}`];
    });
  }

  async function apply(yaml: string): Promise<string[]> {
    const file = path.join(h.dir, `policy-${Date.now()}.yaml`);
    writeFileSync(file, yaml);
    const out = await h.pontonOk("policy", "apply", "-f", file, "-o", "json");
    return (JSON.parse(out) as { applied: string[] }).applied;
  }

  async function removeAll(): Promise<void> {
    const ps = JSON.parse(await h.pontonOk("policy", "ls", "-o", "json")) as { kind: string; namespace: string; name: string }[];
    const ref = (p: (typeof ps)[number]) => (p.kind === "CiliumClusterwideNetworkPolicy" ? `ccnp:${p.name}` : p.kind === "CiliumNetworkPolicy" ? `${p.namespace}/cnp:${p.name}` : `${p.namespace}/${p.name}`);
    if (ps.length) await h.pontonOk("policy", "rm", ...ps.map(ref));
    // Each case starts from new connections only (a reused UDP source port would ride on conntrack).
    await h.inHost("conntrack", ["-F"]);
  }

  before(async () => {
    h = await new TestHost("cnpe").setUp();
    await h.pontonOk("network", "create", "nx", "--subnet", "10.9.0.16/28", "--gateway", "10.9.0.30");
    await h.pontonOk("network", "create", "ny", "--subnet", "10.9.0.32/28", "--gateway", "10.9.0.46", "--route-to", "nx");
    await h.pontonOk("network", "create", "nz", "--subnet", "10.9.0.48/28", "--gateway", "10.9.0.62", "--route-to", "nx", "--route-to", "ny");
    for (const n of NS) await h.pontonOk("namespace", "create", n, "--label", `ns=${n}`);
    const expose = [80, 81].flatMap((p) => ["tcp", "udp", "sctp"].flatMap((pr) => ["--expose", `serve-${p}-${pr}=${p}/${pr}`]));
    for (const name of NAMES) {
      const w = JSON.parse(
        await h.pontonOk("run", "--name", name, "--network", `n${name[0]}`, "--ip", ipv4Of(NS.indexOf(name[0]!), PODS.indexOf(name[1]!)), "--namespace", name[0]!, "--label", `pod=${name[1]}`, ...expose, "-o", "json", "--", process.execPath, "-e", SERVE),
      ) as { networks: { ip4: string }[] };
      ip.set(name, w.networks[0]!.ip4);
    }
    // Listeners up and every path open before any policy.
    let closed: string[] = [];
    const open = async () => {
      const seen = await probeAll();
      closed = PROBES.filter((p) => !seen.get(p)).map((p) => `${p.from}->${p.to} ${p.port}/${p.proto}`);
      return closed.length === 0;
    };
    assert.ok(await eventually(open, 20_000, 300), `all pairs reachable without policies; not: ${closed.join(", ")}`);
  });
  after(() => h.tearDown());

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
      const cli = await h.pontonOk("policy", "explain", "--from", "x/xb", "--to", "x/xc", "--port", "80/tcp");
      assert.match(cli, /ingress: DENIED by cnp:x\/deny-b-80 ingressDeny\[0\] \(deny wins over allow\)/);
      assert.match(await h.pontonOk("policy", "explain", "--from", "x/xb", "--to", "x/xc", "--port", "81/tcp"), /^ALLOWED/);
      type Drop = { source: { workload?: string }; destination: { workload?: string }; direction?: string; policies: string[]; summary: string };
      let drops: Drop[] = [];
      const seen = () => drops.some((d) => d.source.workload === "xb" && d.destination.workload === "xc" && d.direction === "ingress" && d.policies.join() === "cnp:x/deny-b-80" && /ingressDeny\[0\]/.test(d.summary));
      await eventually(async () => {
        drops = JSON.parse(await h.pontonOk("observe", "--verdict", "DROPPED", "--workload", "xc", "--port", "80", "-o", "json")) as Drop[];
        return seen();
      }, 5000);
      assert.ok(seen(), JSON.stringify(drops));
      await h.pontonOk("policy", "rm", "-n", "x", "cnp:deny-b-80");
      assert.equal((await probeAll([cell])).get(cell), true);
    } finally {
      await removeAll();
    }
  });

  test("L7 rules are refused with POLICY_NOT_IMPLEMENTED naming the field; nothing applied", async () => {
    const file = path.join(h.dir, "l7.yaml");
    writeFileSync(file, `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: l7, namespace: x}\nspec:\n  endpointSelector: {}\n  ingress:\n  - toPorts: [{ports: [{port: "80", protocol: TCP}], rules: {http: [{method: GET}]}}]\n`);
    const r = await h.ponton("policy", "apply", "-f", file);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /POLICY_NOT_IMPLEMENTED/);
    assert.match(r.stderr, /spec\.ingress\[0\]\.toPorts\[0\]\.rules: L7 rules \(http, dns, kafka\) is not implemented yet/);
    assert.deepEqual(JSON.parse(await h.pontonOk("policy", "ls", "-o", "json")), []);
  });

  test("ponton up applies a CiliumClusterwideNetworkPolicy document and ponton down removes it", async () => {
    const c = CILIUM_CASES.find((x) => x.name === "CCNP selects and admits across namespaces")!;
    const file = path.join(h.dir, "cnp-project.yaml");
    writeFileSync(file, `name: cnpproj\nnamespaces:\n  x: {labels: {ns: x}}\n---\n${c.yaml}\n`);
    await h.pontonOk("up", file);
    const ls = JSON.parse(await h.pontonOk("policy", "ls", "-o", "json")) as { kind: string; name: string; project?: string }[];
    assert.deepEqual(ls.map((p) => [p.kind, p.name, p.project]), [["CiliumClusterwideNetworkPolicy", "c-from-a", "cnpproj"]]);
    const cell: Probe = { from: "yb", to: "zc", port: 81, proto: "UDP" };
    assert.equal((await probeAll([cell])).get(cell), false);
    await h.pontonOk("down", file);
    assert.deepEqual(JSON.parse(await h.pontonOk("policy", "ls", "-o", "json")), []);
    assert.equal((await probeAll([cell])).get(cell), true);
  });

  // Last: it removes namespace z and its workloads.
  test("a clusterwide policy is in no namespace; namespace rm --force removes the namespace's CiliumNetworkPolicies", async () => {
    await apply(CILIUM_CASES.find((x) => x.name === "CCNP selects and admits across namespaces")!.yaml);
    await apply(CILIUM_CASES.find((x) => x.name === "CNP egress toEndpoints by namespace label, port 81 ANY")!.yaml);
    const names = (JSON.parse(await h.pontonOk("namespace", "ls", "-o", "json")) as { name: string; policies: number }[]).map((n) => [n.name, n.policies]);
    assert.deepEqual(names.filter(([n]) => ["", "x", "y", "z"].includes(n as string)), [["x", 0], ["y", 0], ["z", 1]]);
    await h.pontonOk("namespace", "rm", "z", "--force");
    const ls = JSON.parse(await h.pontonOk("policy", "ls", "-o", "json")) as { kind: string; name: string }[];
    assert.deepEqual(ls.map((p) => [p.kind, p.name]), [["CiliumClusterwideNetworkPolicy", "c-from-a"]]);
    await removeAll();
  });
});
