// NetworkPolicy through the engine on a real kernel: namespaces x/y/z with workloads a/b/c each
// (TCP and UDP listeners on 80 and 81), truth-table policies applied with `ponton policy apply`,
// every pair probed and compared with the daemon's own `policy explain`, cell by cell.
// Each namespace has its own network, at the truth-table world's addresses (so ipBlock cases mean
// what they say): same-namespace traffic is bridged (br_netfilter path), the rest routed between networks.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually } from "./harness";
import { TRUTH_CASES } from "../../src/policy/testing/truth-cases";
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

describe("network policy through the engine", () => {
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
    const ps = JSON.parse(await h.pontonOk("policy", "ls", "-o", "json")) as { namespace: string; name: string }[];
    if (ps.length) await h.pontonOk("policy", "rm", ...ps.map((p) => `${p.namespace}/${p.name}`));
    // Each case starts from new connections only (a reused UDP source port would ride on conntrack).
    await h.inHost("conntrack", ["-F"]);
  }

  before(async () => {
    h = await new TestHost("pe").setUp();
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
      const cli = await h.pontonOk("policy", "explain", "--from", "x/xc", "--to", "x/xa", "--port", "80/tcp");
      assert.match(cli, /^DENIED/);
      await h.pontonOk("label", "xc", "pod=b");
      assert.match(await h.pontonOk("policy", "explain", "--from", "xc", "--to", "xa", "--port", "80/tcp"), /^ALLOWED/);
      assert.equal((await probeAll([cell])).get(cell), true);
      await h.pontonOk("label", "xc", "pod=c");
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
      await h.pontonOk("namespace", "label", "z", "ns=y");
      assert.equal((await probeAll([cell])).get(cell), true);
      await h.pontonOk("namespace", "label", "z", "ns=z");
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
      drops = JSON.parse(await h.pontonOk("observe", "--verdict", "DROPPED", "--workload", "xb", "--port", "80", "-o", "json")) as Drop[];
      return seen();
    }, 5000);
    assert.ok(seen(), JSON.stringify(drops));
    assert.equal((await h.ponton("observe", "--verdict", "ALLOWED")).code, 2);
    await h.pontonOk("policy", "rm", "x/deny-all");
    assert.equal((await probeAll([cell])).get(cell), true);
    const bad = path.join(h.dir, "bad.yaml");
    writeFileSync(bad, `${c.yaml}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad, namespace: x}\nspec: {podSelector: {}, ingress: [{ports: [{port: 70000}]}]}\n`);
    const r = await h.ponton("policy", "apply", "-f", bad);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(JSON.parse(await h.pontonOk("policy", "ls", "-o", "json")), []);
    assert.equal((await probeAll([cell])).get(cell), true);
  });

  test("ponton up applies policies (inline and as NetworkPolicy documents) and ponton down removes them", async () => {
    const deny = TRUTH_CASES.find((x) => x.name === "deny-all ingress in x")!;
    const file = path.join(h.dir, "pol-project.yaml");
    writeFileSync(file, `name: polproj\nnamespaces:\n  x: {labels: {ns: x}}\n---\n${deny.yaml}\n`);
    await h.pontonOk("up", file);
    const ls = JSON.parse(await h.pontonOk("policy", "ls", "-o", "json")) as { namespace: string; name: string; project?: string }[];
    assert.deepEqual(ls.map((p) => [p.namespace, p.name, p.project]), [["x", "deny-all", "polproj"]]);
    const cell: Probe = { from: "zc", to: "xc", port: 81, proto: "TCP" };
    assert.equal((await probeAll([cell])).get(cell), false);
    await h.pontonOk("down", file);
    assert.deepEqual(JSON.parse(await h.pontonOk("policy", "ls", "-o", "json")), []);
    assert.equal((await probeAll([cell])).get(cell), true);
  });

  test("the skeleton jumps to the policy chain in the forward path, and nft holds no leftover policy elements", async () => {
    const r = await h.inHost("nft", ["list", "chain", "inet", "ponton", "forward"]);
    assert.match(r.stdout, /ct state new jump pol_forward/);
    const m = await h.inHost("nft", ["list", "map", "inet", "ponton", "pol_in_deny_v4"]);
    assert.doesNotMatch(m.stdout, /elements/);
    // Every policy, label and namespace change above went in as an element diff, not a table reload.
    const info = await h.client.request<{ nftDiffFallbacks: number }>("GET", "/v1/info");
    assert.equal(info.nftDiffFallbacks, 0);
  });
});
