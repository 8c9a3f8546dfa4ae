// Flow records from real kernel events (NFLOG through bin/ponton-nflog): every new connection and
// every logged drop, with the workload names and the policy, network rule or user rule that decided.
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually } from "../harness";
import type { FlowRecord } from "../../../src/flows";

// TCP 80 and 5678 answer "ok"; UDP 53 echoes.
const SERVE = `const net = require("net"), dgram = require("dgram");
for (const p of [80, 5678]) net.createServer((s) => { s.on("error", () => {}); s.end("ok"); }).listen(p);
const u = dgram.createSocket("udp4"); u.on("message", (m, r) => u.send("ok", r.port, r.address)); u.bind(53);`;

const POLICY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-client, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: 80}, {port: 5678}]
`;

describe("flow records", () => {
  let h: TestHost;
  const ip = new Map<string, string>();

  const tcp = (from: string, to: string, port: number) => h.inWorkload(from, "socat", ["-T1", "-u", `TCP:${ip.get(to)}:${port},connect-timeout=1`, "-"], 5000);
  const flows = async (query: Record<string, string>) => {
    const out = await h.pontonOk("observe", ...Object.entries(query).flatMap(([k, v]) => [`--${k}`, v]), "-o", "json");
    return JSON.parse(out) as FlowRecord[];
  };
  /** The records matching `query` once at least one is there (only those since this test began). */
  let testStart = new Date();
  const awaitFlows = async (q: Record<string, string>) => {
    const query = { since: testStart.toISOString(), ...q };
    let found: FlowRecord[] = [];
    await eventually(async () => (found = await flows(query)).length > 0, 5000, 100);
    return found;
  };

  before(async () => {
    h = await new TestHost("fl").setUp();
    await h.pontonOk("network", "create", "front", "--subnet", "10.31.0.0/24");
    await h.pontonOk("network", "create", "other", "--subnet", "10.32.0.0/24");
    await h.pontonOk("namespace", "create", "shop");
    const run = async (name: string, network: string, app: string) => {
      const w = JSON.parse(await h.pontonOk("run", "--name", name, "--network", network, "--namespace", "shop", "--label", `app=${app}`, "-o", "json", "--", process.execPath, "-e", SERVE)) as { networks: { ip4: string }[] };
      ip.set(name, w.networks[0]!.ip4);
    };
    await run("web", "front", "web");
    await run("client", "front", "client");
    await run("stranger", "front", "stranger");
    await run("far", "other", "client");
    assert.ok(await eventually(async () => (await tcp("client", "web", 80)).stdout === "ok", 10_000, 200), "web answers");
    const file = path.join(h.dir, "policy.yaml");
    writeFileSync(file, POLICY);
    await h.pontonOk("policy", "apply", "-f", file);
  });
  after(() => h.tearDown());
  beforeEach(() => {
    testStart = new Date();
  });

  test("an allowed connection is FORWARDED, with both workloads, TCP SYN and the admitting rule", async () => {
    assert.equal((await tcp("client", "web", 80)).stdout, "ok");
    const [r] = await awaitFlows({ from: "shop/client", to: "shop/web", port: "80", verdict: "FORWARDED" });
    assert.ok(r);
    assert.equal(r.protocol, "tcp");
    assert.deepEqual(r.tcpFlags, ["SYN"]);
    assert.equal(r.source.ip, ip.get("client"));
    assert.deepEqual(r.destination.labels, { app: "web" });
    assert.equal(r.destination.network, "front");
    assert.equal(r.summary, "allowed by shop/web-from-client ingress[0]");
    assert.ok(r.decisionId && r.decisionId > 0);
    // The daemon's explain names the same rule and id, without a packet.
    const e = await h.client.request<{ allowed: boolean; ids: { ingress?: number } }>("GET", "/v1/policies/explain?from=shop/client&to=shop/web&port=80/tcp");
    assert.deepEqual([e.allowed, e.ids.ingress], [true, r.decisionId]);
  });

  test("a policy drop is DROPPED with the policy that isolates the destination", async () => {
    assert.notEqual((await tcp("stranger", "web", 80)).stdout, "ok");
    const [r] = await awaitFlows({ from: "stranger", verdict: "DROPPED" });
    assert.ok(r);
    assert.equal(r.dropReason, "POLICY_DENIED");
    assert.equal(r.direction, "ingress");
    assert.deepEqual(r.policies, ["shop/web-from-client"]);
    assert.equal(r.destination.workload, "web");
    assert.equal(r.destination.port, 80);
  });

  test("isolation between networks and the user hook are named as reasons", async () => {
    assert.notEqual((await tcp("far", "web", 80)).stdout, "ok");
    const [iso] = await awaitFlows({ from: "far", to: "web", verdict: "DROPPED" });
    assert.equal(iso?.dropReason, "NETWORK_ISOLATION");

    const added = JSON.parse(await h.pontonOk("firewall", "add", "tcp dport 5678 reject", "-o", "json")) as { id: number };
    try {
      assert.notEqual((await tcp("client", "web", 5678)).stdout, "ok");
      const [user] = await awaitFlows({ to: "web", port: "5678", verdict: "REJECTED" });
      assert.equal(user?.dropReason, "USER_RULE");
      assert.deepEqual(user?.userRule, { id: added.id, rule: "tcp dport 5678 reject" });
    } finally {
      await h.pontonOk("firewall", "rm", String(added.id));
    }
  });

  test("through a service VIP: the admitting rule is named; without a policy, the service's slot in the ct mark is no decision", async () => {
    const create = async (name: string, port: string, app: string) =>
      (JSON.parse(await h.pontonOk("service", "create", name, "--namespace", "shop", "--port", port, "--selector", `app=${app}`, "-o", "json")) as { vip: string }).vip;
    const webVip = await create("webvip", "80/tcp", "web");
    const clientVip = await create("clientvip", "53/udp", "client");
    try {
      assert.ok(await eventually(async () => (await h.inWorkload("client", "socat", ["-T1", "-u", `TCP:${webVip}:80,connect-timeout=1`, "-"], 5000)).stdout === "ok", 5000, 200));
      const [admitted] = await awaitFlows({ from: "shop/client", to: "shop/web", port: "80" });
      assert.equal(admitted?.summary, "allowed by shop/web-from-client ingress[0]");
      // The scheduler left a slot (top bit set) in this connection's ct mark and no policy replaced it.
      assert.equal((await h.inWorkload("stranger", "sh", ["-c", `echo ping | socat -T1 - UDP:${clientVip}:53`])).stdout, "ok");
      const [plain] = await awaitFlows({ from: "shop/stranger", to: "shop/client", port: "53" });
      assert.deepEqual([plain?.summary, plain?.decisionId], ["allowed: no policy selects either end", undefined]);
      const marks = await h.inHost("conntrack", ["-L", "-p", "udp", "--orig-dst", clientVip]);
      assert.match(marks.stdout, /mark=(\d+)/);
      assert.ok(Number(/mark=(\d+)/.exec(marks.stdout)![1]) >= 0x80000000, marks.stdout);
    } finally {
      await h.pontonOk("service", "rm", "shop/webvip");
      await h.pontonOk("service", "rm", "shop/clientvip");
    }
  });

  test("connections between the host and a workload are recorded, the host's end named", async () => {
    // The host to a workload: out through the bridge, never through forward.
    assert.equal((await h.inHost("socat", ["-T1", "-u", `TCP:${ip.get("web")}:80,connect-timeout=1`, "-"], 5000)).stdout, "ok");
    const [out] = await awaitFlows({ from: "host", to: "shop/web", port: "80" });
    assert.ok(out);
    assert.deepEqual([out.verdict, out.source.host, out.interfaces.in], ["FORWARDED", true, undefined]);
    assert.match(out.interfaces.out ?? "", /\(front\)$/, "out through the network's bridge");
    // A workload to this host: the network's gateway, where pontond serves DNS (over TCP too).
    const gw = ip.get("client")!.replace(/\.\d+$/, ".1");
    await h.inWorkload("client", "socat", ["-T1", "-u", "/dev/null", `TCP:${gw}:53,connect-timeout=1`], 5000);
    const [inward] = await awaitFlows({ from: "shop/client", to: "host", port: "53", protocol: "tcp" });
    assert.ok(inward);
    assert.deepEqual([inward.destination.ip, inward.destination.host, inward.interfaces.out], [gw, true, undefined]);
  });

  test("observe --follow streams new records as they happen", async () => {
    const cli = spawn(process.execPath, [path.join(__dirname, "..", "..", "..", "..", "bin", "ponton"), "--socket", h.socket, "observe", "--follow", "--since", "1s", "--to", "shop/client", "--protocol", "udp"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    cli.stdout.on("data", (d: Buffer) => (out += d.toString()));
    try {
      // Started, then a UDP exchange that is new to conntrack.
      await eventually(async () => cli.pid !== undefined, 2000);
      await new Promise((r) => setTimeout(r, 500));
      const reply = await h.inWorkload("stranger", "sh", ["-c", `echo ping | socat -T1 - UDP:${ip.get("client")}:53`]);
      assert.equal(reply.stdout, "ok");
      assert.ok(await eventually(async () => out.includes("FORWARDED"), 5000), `follow output: ${out}`);
      assert.match(out, /shop\/stranger \(10\.31\.0\.\d+:\d+\) -> shop\/client \(10\.31\.0\.\d+:53\)  udp  FORWARDED  allowed: no policy selects either end/);
    } finally {
      cli.kill("SIGTERM");
    }
  });

  test("flows status and /metrics count by verdict and reason; bad filters are refused", async () => {
    const s = JSON.parse(await h.pontonOk("flows", "status", "-o", "json")) as { running: boolean; recorded: number; buffer: { capacity: number; used: number }; counters: { byVerdict: Record<string, number>; byReason: Record<string, number> } };
    assert.equal(s.running, true);
    assert.equal(s.buffer.capacity, 10_000);
    assert.ok(s.buffer.used > 0 && s.recorded >= s.buffer.used);
    assert.ok(s.counters.byVerdict.FORWARDED! > 0 && s.counters.byVerdict.DROPPED! > 0 && s.counters.byVerdict.REJECTED! > 0);
    assert.ok(s.counters.byReason.POLICY_DENIED! > 0 && s.counters.byReason.NETWORK_ISOLATION! > 0 && s.counters.byReason.USER_RULE! > 0);
    const metrics = await h.inHost("curl", ["-s", "--unix-socket", h.socket, "http://ponton/metrics"]);
    assert.match(metrics.stdout, /^ponton_flows_total\{verdict="FORWARDED"\} [1-9]\d*$/m);
    assert.match(metrics.stdout, /^ponton_drops_total\{reason="POLICY_DENIED"\} [1-9]\d*$/m);
    assert.match(metrics.stdout, /^ponton_namespace_flows_total\{namespace="shop",verdict="DROPPED"\} [1-9]\d*$/m);
    assert.match(metrics.stdout, /^ponton_workloads 4$/m);
    const bad = await h.ponton("observe", "--verdict", "ALLOWED");
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /INVALID_ARGUMENT/);
  });

  test("ponton.dev/log writes the selected policy decisions to the policy log", async () => {
    const file = path.join(h.dir, "policy-logged.yaml");
    writeFileSync(file, POLICY.replace("namespace: shop}", 'namespace: shop, annotations: {ponton.dev/log: "denied,ingress[0]"}}'));
    await h.pontonOk("policy", "apply", "-f", file);
    assert.equal((await tcp("client", "web", 80)).stdout, "ok");
    assert.notEqual((await tcp("stranger", "web", 80)).stdout, "ok");
    let log = "";
    await eventually(async () => /FORWARDED/.test((log = await h.pontonOk("policy", "log"))) && /DROPPED/.test(log), 5000);
    assert.match(log, /^policy=shop\/web-from-client  .* shop\/client \(.*\) -> shop\/web \(.*:80\)  tcp SYN  FORWARDED  allowed by shop\/web-from-client ingress\[0\]$/m);
    assert.match(log, /^policy=shop\/web-from-client  .* shop\/stranger \(.*\) -> shop\/web \(.*:80\)  tcp SYN  DROPPED \(POLICY_DENIED\)  default deny/m);
    // Traffic no policy decides is not in the policy log.
    assert.doesNotMatch(log, /no policy selects/);
  });

  test("with --flow-journal on, records survive a restart of pontond", async () => {
    await h.stopDaemon();
    h.daemonArgs = ["--flow-journal", "on"];
    await h.startDaemon();
    assert.equal((await tcp("client", "web", 80)).stdout, "ok");
    const [before] = await awaitFlows({ from: "shop/client", to: "shop/web", port: "80" });
    assert.ok(before);
    await h.stopDaemon();
    await h.startDaemon();
    const after = await flows({ since: testStart.toISOString(), from: "shop/client", to: "shop/web", port: "80" });
    assert.ok(after.some((r) => r.time === before.time && r.source.port === before.source.port && r.summary === before.summary), "the record from before the restart");
    // Without the journal, a restart starts from an empty buffer.
    await h.stopDaemon();
    h.daemonArgs = [];
    await h.startDaemon();
    assert.deepEqual(await flows({ since: testStart.toISOString(), from: "shop/client", to: "shop/web", port: "80" }), []);
  });

  test("restarted with --flow-log off and --metrics-listen: drops and policy-logged connections only; /metrics on TCP", async () => {
    await h.stopDaemon();
    h.daemonArgs = ["--metrics-listen", "127.0.0.1:9469", "--flow-buffer", "500", "--flow-log", "off"];
    await h.startDaemon();
    testStart = new Date();
    assert.equal((await tcp("client", "web", 80)).stdout, "ok");
    const [r] = await awaitFlows({ from: "client", to: "web", verdict: "FORWARDED" });
    assert.equal(r?.summary, "allowed by shop/web-from-client ingress[0]");
    // A connection no policy asked to log is not recorded any more.
    assert.equal((await h.inWorkload("stranger", "sh", ["-c", `echo ping | socat -T1 - UDP:${ip.get("client")}:53`])).stdout, "ok");
    assert.notEqual((await tcp("stranger", "web", 80)).stdout, "ok");
    const [drop] = await awaitFlows({ from: "stranger", to: "web", verdict: "DROPPED" });
    assert.equal(drop?.dropReason, "POLICY_DENIED");
    assert.deepEqual(await flows({ since: testStart.toISOString(), from: "stranger", to: "client" }), []);
    const metrics = await h.inHost("curl", ["-s", "http://127.0.0.1:9469/metrics"]);
    assert.match(metrics.stdout, /^ponton_flow_buffer_capacity 500$/m);
    assert.match(metrics.stdout, /^ponton_flows_total\{verdict="FORWARDED"\} [1-9]\d*$/m);
    assert.equal((await h.inHost("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:9469/v1/info"])).stdout, "404");
  });
});
