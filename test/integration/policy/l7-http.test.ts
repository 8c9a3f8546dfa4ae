// CiliumNetworkPolicy HTTP rules through pontond on a real kernel: the seeds' Star Wars scenario
// (deathstar, tiefighter from org=empire, xwing from org=alliance). Requests go through the L7
// proxy (nft redirect after the L3/L4 policy); denied ones get Cilium's `403 Access denied`;
// keep-alive, pipelining and chunked bodies work; every request is an L7 flow record and a metric;
// a pontond restart does not cut a proxied connection.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually, processAlive, type Result } from "../harness";

// Answers "METHOD URL BODY-BYTES FROM-ADDRESS": the test sees what reached the workload.
const DEATHSTAR = `require("http").createServer((q, s) => { let n = 0; q.on("data", (c) => (n += c.length));
  q.on("end", () => s.end(q.method + " " + q.url + " " + n + " " + q.socket.remoteAddress + "\\n")); }).listen(80);`;

const SEED_POLICY = `apiVersion: "cilium.io/v2"
kind: CiliumNetworkPolicy
metadata:
  name: "rule1"
spec:
  description: "L7 policy to restrict access to specific HTTP call"
  endpointSelector:
    matchLabels:
      org: empire
      class: deathstar
  ingress:
    - fromEndpoints:
        - matchLabels:
            org: empire
      toPorts:
        - ports:
            - port: "80"
              protocol: TCP
          rules:
            http:
              - method: "POST"
                path: "/v1/request-landing"
`;

// Three requests written at once on one connection (pipelined), then the raw answer.
const PIPELINE = (ip: string) => `const s = require("net").connect(80, "${ip}", () => s.write(
  "POST /v1/request-landing HTTP/1.1\\r\\nHost: deathstar\\r\\nContent-Length: 0\\r\\n\\r\\n" +
  "PUT /v1/exhaust-port HTTP/1.1\\r\\nHost: deathstar\\r\\nContent-Length: 5\\r\\n\\r\\nboom!" +
  "POST /v1/request-landing HTTP/1.1\\r\\nHost: deathstar\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n"));
let out = ""; s.on("data", (d) => (out += d)); s.on("end", () => { process.stdout.write(out); process.exit(0); }); setTimeout(() => { process.stdout.write(out); process.exit(1); }, 8000);`;

interface L7Record {
  verdict: string;
  source: { workload?: string; ip: string };
  destination: { workload?: string; port?: number };
  l7?: { method: string; url: string; status: number; latencyMs: number };
  policies: string[];
  summary: string;
}

describe("CiliumNetworkPolicy HTTP rules (L7 proxy)", () => {
  let h: TestHost;
  let ds = "";
  const curl = (from: string, args: string[]): Promise<Result> => h.inWorkload(from, "curl", ["-s", "-m", "3", ...args], 10_000);

  before(async () => {
    h = await new TestHost("l7").setUp();
    await h.pontonOk("network", "create", "sw", "--subnet", "10.77.0.0/24");
    const w = JSON.parse(await h.pontonOk("run", "--name", "deathstar", "--network", "sw", "--label", "org=empire", "--label", "class=deathstar", "-o", "json", "--", process.execPath, "-e", DEATHSTAR)) as { networks: { ip4: string }[] };
    ds = w.networks[0]!.ip4;
    await h.pontonOk("run", "--name", "tiefighter", "--network", "sw", "--label", "org=empire", "--label", "class=tiefighter");
    await h.pontonOk("run", "--name", "xwing", "--network", "sw", "--label", "org=alliance", "--label", "class=xwing");
    assert.ok(await eventually(async () => (await curl("xwing", ["-XPOST", `http://${ds}/v1/request-landing`])).stdout.startsWith("POST"), 15_000, 200), "deathstar answers before any policy");
    const file = path.join(h.dir, "sw-l3-l4-l7-policy.yaml");
    writeFileSync(file, SEED_POLICY);
    await h.pontonOk("policy", "apply", "-f", file);
  });
  after(() => h.tearDown());

  test("the seed's scenario: POST /v1/request-landing from empire passes, PUT /v1/exhaust-port gets 403 Access denied, alliance is dropped at L3/L4", async () => {
    const landed = await curl("tiefighter", ["-XPOST", `http://${ds}/v1/request-landing`]);
    assert.equal(landed.code, 0, landed.stderr);
    assert.match(landed.stdout, /^POST \/v1\/request-landing 0 /);
    const denied = await curl("tiefighter", ["-i", "-XPUT", `http://${ds}/v1/exhaust-port`]);
    assert.match(denied.stdout, /^HTTP\/1\.1 403 Forbidden\r\n/);
    assert.ok(denied.stdout.endsWith("\r\n\r\nAccess denied\r\n"), JSON.stringify(denied.stdout));
    // Cilium anchors the path: a longer one is another path.
    assert.match((await curl("tiefighter", ["-o", "/dev/null", "-w", "%{http_code}", "-XPOST", `http://${ds}/v1/request-landing/x`])).stdout, /^403$/);
    const xwing = await curl("xwing", ["-m", "2", "-XPOST", `http://${ds}/v1/request-landing`]);
    assert.equal(xwing.code, 28, `xwing's SYN is dropped (curl times out): ${xwing.code} ${xwing.stdout}`);
    assert.match(await h.pontonOk("policy", "explain", "--from", "default/xwing", "--to", "default/deathstar", "--port", "80/tcp"), /^DENIED/);
  });

  test("keep-alive: allowed and denied requests on one connection, each answered, the connection reused", async () => {
    const r = await curl("tiefighter", [
      "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\\n", "-XPOST", `http://${ds}/v1/request-landing`,
      "--next", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\\n", "-XPUT", `http://${ds}/v1/exhaust-port`,
      "--next", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\\n", "-XPOST", `http://${ds}/v1/request-landing`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n"), ["200 1", "403 0", "200 0"]);
  });

  test("pipelining: three requests written at once are answered in order", async () => {
    const r = await h.inWorkload("tiefighter", process.execPath, ["-e", PIPELINE(ds)], 15_000);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const statuses = [...r.stdout.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    assert.deepEqual(statuses, ["200", "403", "200"], r.stdout);
    assert.equal([...r.stdout.matchAll(/^POST \/v1\/request-landing 0 /gm)].length, 2, r.stdout);
  });

  test("a chunked request body reaches the workload whole", async () => {
    const body = "x".repeat(100_000);
    const file = path.join(h.dir, "body.txt");
    writeFileSync(file, body);
    const r = await curl("tiefighter", ["-XPOST", "-H", "Transfer-Encoding: chunked", "--data-binary", `@${file}`, `http://${ds}/v1/request-landing`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^POST \/v1\/request-landing 100000 /);
  });

  test("every request is an L7 flow record (ponton observe --type l7 --http-*) and a metric", async () => {
    await curl("tiefighter", ["-XPUT", `http://${ds}/v1/exhaust-port`]);
    let denied: L7Record[] = [];
    assert.ok(await eventually(async () => {
      denied = JSON.parse(await h.pontonOk("observe", "--type", "l7", "--http-status", "403", "--http-method", "put", "-o", "json")) as L7Record[];
      return denied.length > 0;
    }, 5000), "a 403 record");
    const d = denied.at(-1)!;
    assert.equal(d.verdict, "DROPPED");
    assert.equal(d.source.workload, "tiefighter");
    assert.equal(d.destination.workload, "deathstar");
    assert.equal(d.destination.port, 80);
    assert.deepEqual([d.l7!.method, d.l7!.url, d.l7!.status], ["PUT", "/v1/exhaust-port", 403]);
    assert.ok(d.l7!.latencyMs >= 0);
    const allowed = JSON.parse(await h.pontonOk("observe", "--type", "l7", "--http-path", "^/v1/request-landing$", "--http-status", "2+", "-o", "json")) as L7Record[];
    assert.ok(allowed.length > 0);
    assert.ok(allowed.every((a) => a.verdict === "FORWARDED" && a.l7!.method === "POST" && a.l7!.status === 200 && a.policies.join() === "cnp:default/rule1"), JSON.stringify(allowed[0]));
    assert.match(allowed[0]!.summary, /allowed by cnp:default\/rule1 ingress\[0\]/);
    const line = await h.pontonOk("observe", "--type", "l7", "--http-status", "403", "--last", "1");
    assert.match(line, /default\/tiefighter .* -> default\/deathstar \(10\.77\.0\.\d+:80\)  http PUT \/v1\/exhaust-port 403 [\d.]+ms  DROPPED \(POLICY_DENIED\)/);
    const metrics = (await h.inHost("curl", ["-s", "--unix-socket", h.socket, "http://ponton/metrics"])).stdout;
    assert.match(metrics, /ponton_l7_requests_total\{method="PUT",status="403",verdict="DROPPED"\} [1-9]/);
  });

  test("no path around the proxy: a service address to the guarded port gets the same rules; the listener itself is dropped (L7_NOT_PROXIED)", async () => {
    await h.pontonOk("service", "create", "deathstar", "--port", "80/tcp", "--selector", "class=deathstar", "--vip", "10.96.0.80");
    assert.match((await curl("tiefighter", ["-XPOST", "http://10.96.0.80/v1/request-landing"])).stdout, /^POST \/v1\/request-landing 0 /);
    assert.match((await curl("tiefighter", ["-XPUT", "http://10.96.0.80/v1/exhaust-port"])).stdout, /^Access denied\r\n$/);
    const direct = await curl("tiefighter", ["-m", "2", `http://10.77.0.1:15100/v1/request-landing`]);
    assert.equal(direct.code, 28, `the listener takes redirected connections only: ${direct.stdout}`);
    let drops: { dropReason?: string; destination: { ip: string; port?: number } }[] = [];
    assert.ok(await eventually(async () => {
      drops = JSON.parse(await h.pontonOk("observe", "--verdict", "DROPPED", "--from", "default/tiefighter", "-o", "json")) as typeof drops;
      return drops.some((d) => d.dropReason === "L7_NOT_PROXIED" && d.destination.port === 15100);
    }, 5000), JSON.stringify(drops));
    await h.pontonOk("service", "rm", "deathstar");
  });

  test("a --no-host-access network: redirected connections reach the proxy (the workload talks to a workload, not to the host)", async () => {
    await h.pontonOk("network", "create", "swn", "--subnet", "10.77.1.0/24", "--no-host-access");
    const w = JSON.parse(await h.pontonOk("run", "--name", "deathstar2", "--network", "swn", "--label", "org=empire", "--label", "class=deathstar", "-o", "json", "--", process.execPath, "-e", DEATHSTAR)) as { networks: { ip4: string }[] };
    const ds2 = w.networks[0]!.ip4;
    await h.pontonOk("run", "--name", "tiefighter2", "--network", "swn", "--label", "org=empire");
    assert.ok(await eventually(async () => (await curl("tiefighter2", ["-XPOST", `http://${ds2}/v1/request-landing`])).stdout.startsWith("POST"), 10_000, 200), "allowed through the proxy");
    assert.match((await curl("tiefighter2", ["-XPUT", `http://${ds2}/v1/exhaust-port`])).stdout, /^Access denied/);
    // Still no host access otherwise.
    assert.equal((await curl("tiefighter2", ["-m", "2", `http://10.77.1.1:15100/`])).code, 28);
    for (const name of ["tiefighter2", "deathstar2"]) await h.pontonOk("rm", "-f", name);
  });

  test("supervised: a proxy that dies is started again by pontond with the same listeners", async () => {
    const pidOf = async () => Number((await h.inHost("ss", ["-tlnpH", "sport = :15100"])).stdout.match(/pid=(\d+)/)?.[1] ?? 0);
    const first = await pidOf();
    assert.ok(first > 0);
    process.kill(first, "SIGKILL");
    assert.ok(await eventually(async () => {
      const pid = await pidOf();
      return pid > 0 && pid !== first && (await curl("tiefighter", ["-XPOST", `http://${ds}/v1/request-landing`])).stdout.startsWith("POST");
    }, 10_000, 200), "a new proxy answers");
    assert.match((await h.inHost("curl", ["-s", "--unix-socket", h.socket, "http://ponton/metrics"])).stdout, /^ponton_l7_proxy_restarts_total 1$/m);
  });

  test("a pontond restart does not cut a kept-alive proxied connection; records flow to the new pontond", async () => {
    // A client holds one connection: a request, then (after the restart) another on the same socket.
    const script = `const s = require("net").connect(80, "${ds}");
      const req = "POST /v1/request-landing HTTP/1.1\\r\\nHost: d\\r\\nContent-Length: 0\\r\\n\\r\\n";
      s.on("connect", () => s.write(req)); s.on("data", (d) => process.stdout.write(d));
      process.stdin.on("data", () => s.write(req)); s.on("close", () => process.exit(0)); setTimeout(() => process.exit(0), 20000);`;
    const child = spawn("ip", ["netns", "exec", h.ns("tiefighter"), process.execPath, "-e", script], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    assert.ok(await eventually(async () => out.includes("HTTP/1.1 200"), 8000), "first answer");
    const proxyPid = JSON.parse((await h.inHost("sh", ["-c", `ss -tlnpH 'sport = :15100'`])).stdout.match(/pid=(\d+)/)?.[1] ?? "0") as number;
    await h.stopDaemon("SIGTERM");
    await h.startDaemon();
    child.stdin!.write("again\n");
    assert.ok(await eventually(async () => (out.match(/HTTP\/1\.1 200/g) ?? []).length === 2, 8000), `second answer on the same connection: ${out}`);
    assert.ok(proxyPid > 0 && processAlive(proxyPid), "the proxy outlived pontond (the same process)");
    child.kill("SIGKILL");
    assert.ok(await eventually(async () => {
      const rs = JSON.parse(await h.pontonOk("observe", "--type", "l7", "--http-method", "POST", "-o", "json")) as L7Record[];
      return rs.length > 0;
    }, 5000), "the new pontond receives the proxy's records");
  });
});
