// HTTP rules on every path to a guarded port, through HAProxy (the L7 proxy): a workload's own
// address (nft redirect), a service address and a published port (after their DNAT, routed to
// the host where HAProxy holds a transparent socket on the workload's address and port). The same rules apply on each; the workload sees the client's own
// address (HAProxy connects from it, `usesrc clientip`; the kernel brings the answers back).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { OUTSIDE_A, TestHost, UPLINK_HOST, eventually, sh, type Result } from "../harness";
import { landingPolicy, PEER_ECHO_SERVER } from "./l7-landing";

const SERVER = PEER_ECHO_SERVER;

const POLICY = landingPolicy("landing", "198.51.100.0/24");
const VIP = "10.96.0.81";

describe("HTTP rules on every path (HAProxy)", () => {
  let h: TestHost;
  let ds = "";
  let tie = "";
  const curl = (from: string, args: string[]): Promise<Result> => h.inWorkload(from, "curl", ["-s", "-m", "3", ...args], 10_000);
  const outside = (args: string[]) => sh("ip", ["netns", "exec", h.outsideNs, "curl", "-s", "-m", "3", ...args], { timeoutMs: 10_000 });

  before(async () => {
    h = await new TestHost("l7p").setUp();
    await h.pontonOk("network", "create", "sw", "--subnet", "10.79.0.0/24");
    const w = JSON.parse(await h.pontonOk("run", "--name", "deathstar", "--network", "sw", "--label", "class=deathstar", "-p", "8080:80", "-o", "json", "--", process.execPath, "-e", SERVER)) as { networks: { ip4: string }[] };
    ds = w.networks[0]!.ip4;
    const t = JSON.parse(await h.pontonOk("run", "--name", "tiefighter", "--network", "sw", "--label", "org=empire", "-o", "json")) as { networks: { ip4: string }[] };
    tie = t.networks[0]!.ip4;
    await h.pontonOk("run", "--name", "xwing", "--network", "sw", "--label", "org=alliance");
    await h.pontonOk("service", "create", "deathstar", "--port", "80/tcp", "--selector", "class=deathstar", "--vip", VIP);
    assert.ok(await eventually(async () => (await curl("xwing", ["-XPOST", `http://${ds}/v1/request-landing`])).stdout.startsWith("POST"), 15_000, 200), "deathstar answers before any policy");
    const file = path.join(h.dir, "landing.yaml");
    writeFileSync(file, POLICY);
    await h.pontonOk("policy", "apply", "-f", file);
  });
  after(() => h.tearDown());

  test("the workload's own address: the workload sees the client's address, not the proxy's", async () => {
    const r = await curl("tiefighter", ["-XPOST", `http://${ds}/v1/request-landing`]);
    assert.equal(r.stdout, `POST /v1/request-landing ${tie}\n`);
    assert.match((await curl("tiefighter", ["-XPUT", `http://${ds}/v1/exhaust-port`])).stdout, /^Access denied\r\n$/);
  });

  test("a service address: the same rules (403 Access denied, alliance dropped at L3/L4), the client's address at the workload", async () => {
    assert.equal((await curl("tiefighter", ["-XPOST", `http://${VIP}/v1/request-landing`])).stdout, `POST /v1/request-landing ${tie}\n`);
    const denied = await curl("tiefighter", ["-i", "-XPUT", `http://${VIP}/v1/exhaust-port`]);
    assert.match(denied.stdout, /^HTTP\/1\.1 403 Forbidden\r\n/);
    assert.ok(denied.stdout.endsWith("\r\n\r\nAccess denied\r\n"), JSON.stringify(denied.stdout));
    // Keep-alive through the service address: the connection is reused after a 403.
    const ka = await curl("tiefighter", ["-o", "/dev/null", "-w", "%{http_code} %{num_connects}\\n", "-XPOST", `http://${VIP}/v1/request-landing`, "--next", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\\n", "-XPUT", `http://${VIP}/v1/exhaust-port`, "--next", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\\n", "-XPOST", `http://${VIP}/v1/request-landing`]);
    assert.deepEqual(ka.stdout.trim().split("\n"), ["200 1", "403 0", "200 0"]);
    const xwing = await curl("xwing", ["-m", "2", "-XPOST", `http://${VIP}/v1/request-landing`]);
    assert.equal(xwing.code, 28, `xwing's SYN is dropped at L3/L4 (curl times out): ${xwing.code} ${xwing.stdout}`);
  });

  test("a published port from outside the host: the same rules, the outside client's address at the workload", async () => {
    assert.equal((await outside(["-XPOST", `http://${UPLINK_HOST}:8080/v1/request-landing`])).stdout, `POST /v1/request-landing ${OUTSIDE_A}\n`);
    assert.match((await outside(["-XPUT", `http://${UPLINK_HOST}:8080/v1/exhaust-port`])).stdout, /^Access denied\r\n$/);
  });

  test("each request on these paths is an L7 flow record naming the workload", async () => {
    let rs: { source: { ip: string; workload?: string }; destination: { workload?: string; port?: number }; l7?: { method: string; status: number } }[] = [];
    assert.ok(await eventually(async () => {
      rs = JSON.parse(await h.pontonOk("observe", "--type", "l7", "--http-status", "403", "-o", "json")) as typeof rs;
      return rs.some((r) => r.source.ip === OUTSIDE_A) && rs.filter((r) => r.source.workload === "tiefighter").length >= 3;
    }, 5000), JSON.stringify(rs));
    assert.ok(rs.every((r) => r.destination.workload === "deathstar" && r.destination.port === 80 && r.l7!.method === "PUT"));
  });

});
