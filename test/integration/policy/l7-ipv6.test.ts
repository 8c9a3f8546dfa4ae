// HTTP rules over IPv6 on a dual-stack workload: the same CiliumNetworkPolicy polices IPv6
// connections as it does IPv4 ones (a listener per address), through the workload's IPv6 address
// and an IPv6 service address; the workload sees the client's IPv6 address; every request is an L7
// flow record. Before this, IPv6 connections to a guarded port were dropped L7_NOT_PROXIED.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually, type Result } from "../harness";
import { landingPolicy, PEER_ECHO_SERVER } from "./l7-landing";

const SERVER = PEER_ECHO_SERVER;

const POLICY = landingPolicy("landing6");
const VIP6 = "fd00:10:96::81";

describe("HTTP rules over IPv6 (HAProxy)", () => {
  let h: TestHost;
  let ds6 = "";
  let tie6 = "";
  const curl = (from: string, args: string[]): Promise<Result> => h.inWorkload(from, "curl", ["-s", "-6", "-m", "3", ...args], 10_000);
  type Net = { networks: { ip4: string; ip6: string }[] };

  before(async () => {
    h = await new TestHost("hl6").setUp();
    await h.pontonOk("network", "create", "sw6", "--subnet", "10.78.0.0/24", "--ipv6", "--subnet6", "fd00:78::/64");
    const w = JSON.parse(await h.pontonOk("run", "--name", "deathstar", "--network", "sw6", "--label", "class=deathstar", "-o", "json", "--", process.execPath, "-e", SERVER)) as Net;
    ds6 = w.networks[0]!.ip6;
    const t = JSON.parse(await h.pontonOk("run", "--name", "tiefighter", "--network", "sw6", "--label", "org=empire", "-o", "json")) as Net;
    tie6 = t.networks[0]!.ip6;
    await h.pontonOk("run", "--name", "xwing", "--network", "sw6", "--label", "org=alliance");
    await h.pontonOk("service", "create", "deathstar6", "--port", "80/tcp", "--selector", "class=deathstar", "--ip-family", "ipv6", "--vip", VIP6);
    assert.ok(await eventually(async () => (await curl("xwing", ["-XPOST", `http://[${ds6}]/v1/request-landing`])).stdout.startsWith("POST"), 15_000, 200), "deathstar answers over IPv6 before any policy");
    const file = path.join(h.dir, "landing6.yaml");
    writeFileSync(file, POLICY);
    await h.pontonOk("policy", "apply", "-f", file);
  });
  after(() => h.tearDown());

  test("the workload's IPv6 address: allowed requests pass with the client's IPv6 address, others get 403 Access denied", async () => {
    assert.equal((await curl("tiefighter", ["-XPOST", `http://[${ds6}]/v1/request-landing`])).stdout, `POST /v1/request-landing ${tie6}\n`);
    const denied = await curl("tiefighter", ["-i", "-XPUT", `http://[${ds6}]/v1/exhaust-port`]);
    assert.match(denied.stdout, /^HTTP\/1\.1 403 Forbidden\r\n/);
    assert.ok(denied.stdout.endsWith("\r\n\r\nAccess denied\r\n"), JSON.stringify(denied.stdout));
    const xwing = await curl("xwing", ["-m", "2", "-XPOST", `http://[${ds6}]/v1/request-landing`]);
    assert.equal(xwing.code, 28, `xwing's SYN is dropped at L3/L4 (curl times out): ${xwing.code} ${xwing.stdout}`);
  });

  test("an IPv6 service address: the same rules, keep-alive across a 403, the client's IPv6 address at the workload", async () => {
    assert.equal((await curl("tiefighter", ["-XPOST", `http://[${VIP6}]/v1/request-landing`])).stdout, `POST /v1/request-landing ${tie6}\n`);
    const next = (method: string, url: string) => ["--next", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\\n", `-X${method}`, url];
    const u = (p: string) => `http://[${VIP6}]${p}`;
    const ka = await curl("tiefighter", ["-o", "/dev/null", "-w", "%{http_code} %{num_connects}\\n", "-XPOST", u("/v1/request-landing"), ...next("PUT", u("/v1/exhaust-port")), ...next("POST", u("/v1/request-landing"))]);
    assert.deepEqual(ka.stdout.trim().split("\n"), ["200 1", "403 0", "200 0"]);
  });

  test("each IPv6 request is an L7 flow record with the client's and the workload's IPv6 addresses", async () => {
    type Rec = { source: { ip: string; workload?: string }; destination: { ip: string; workload?: string; port?: number }; l7?: { method: string; status: number } };
    let rs: Rec[] = [];
    assert.ok(await eventually(async () => {
      rs = JSON.parse(await h.pontonOk("observe", "--type", "l7", "-o", "json")) as Rec[];
      return rs.filter((r) => r.source.ip === tie6 && r.l7?.status === 403).length >= 2 && rs.filter((r) => r.source.ip === tie6 && r.l7?.status === 200).length >= 3;
    }, 5000), JSON.stringify(rs));
    assert.ok(rs.every((r) => r.source.workload === "tiefighter" && r.destination.workload === "deathstar" && r.destination.ip === ds6 && r.destination.port === 80), JSON.stringify(rs));
  });
});
