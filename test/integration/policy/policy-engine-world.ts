// The world of the policy engine tests (policy-engine, cilium-engine): namespaces x/y/z with
// workloads a/b/c on their own networks (the truth-table addresses; same-namespace traffic bridged,
// the rest routed), TCP and UDP listeners on 80 and 81, probes of every pair from inside the
// workloads, and the daemon's own `policy explain` for each — compared cell by cell.
import { after, before } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually } from "../harness";
import { ipv4Of } from "../../../src/policy/testing/world";

export const NS = ["x", "y", "z"];
export const PODS = ["a", "b", "c"];
export const NAMES = NS.flatMap((n) => PODS.map((p) => `${n}${p}`));
export const PROBES = NAMES.flatMap((from) => NAMES.filter((to) => to !== from).flatMap((to) => [80, 81].flatMap((port) => (["TCP", "UDP"] as const).map((proto) => ({ from, to, port, proto })))));
export type Probe = (typeof PROBES)[number];

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

export interface Explained {
  allowed: boolean;
  egress: { isolatedBy: string[] };
  ingress: { isolatedBy: string[] };
}

/** Call inside a describe: registers its before/after hooks; `tag` names its test host; `driver` the networks' (default bridge). */
export function policyEngineWorld(tag: string, opts: { driver?: "bridge" | "routed" } = {}) {
  const driver = opts.driver ? ["--driver", opts.driver] : [];
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
    const prefix: Record<string, string> = { CiliumClusterwideNetworkPolicy: "ccnp:", AdminNetworkPolicy: "anp:", BaselineAdminNetworkPolicy: "banp:" };
    const ref = (p: (typeof ps)[number]) => (prefix[p.kind] ? `${prefix[p.kind]}${p.name}` : p.kind === "CiliumNetworkPolicy" ? `${p.namespace}/cnp:${p.name}` : `${p.namespace}/${p.name}`);
    if (ps.length) await h.pontonOk("policy", "rm", ...ps.map(ref));
    // Each case starts from new connections only (a reused UDP source port would ride on conntrack).
    await h.inHost("conntrack", ["-F"]);
  }

  before(async () => {
    h = await new TestHost(tag).setUp();
    await h.pontonOk("network", "create", "nx", "--subnet", "10.9.0.16/28", "--gateway", "10.9.0.30", ...driver);
    await h.pontonOk("network", "create", "ny", "--subnet", "10.9.0.32/28", "--gateway", "10.9.0.46", "--route-to", "nx", ...driver);
    await h.pontonOk("network", "create", "nz", "--subnet", "10.9.0.48/28", "--gateway", "10.9.0.62", "--route-to", "nx", "--route-to", "ny", ...driver);
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

  return {
    /** The test host (made in the before hook). */
    get h(): TestHost {
      return h;
    },
    ip,
    probeAll,
    explainAll,
    disagreements,
    apply,
    removeAll,
  };
}
