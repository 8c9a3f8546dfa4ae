// HTTP rules on a routed network (a veth per workload, host routes, no bridge): HAProxy reaches the
// workload from the client's own address (`usesrc clientip`) as on a bridge; the workload's answers,
// routed by the host toward the client, are marked before routing (compile/l7-return.ts, the inet
// table) and delivered to HAProxy's socket. IPv4 and IPv6, the workload's address and a service
// address. Before this, the workload saw the host's address on a routed network.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually, type Result } from "../harness";
import { landingPolicy, PEER_ECHO_SERVER } from "./l7-landing";

const VIP = "10.96.0.87";

describe("HTTP rules on a routed network: the workload sees the client's address", () => {
  let h: TestHost;
  const ds: Record<string, string> = {};
  const tie: Record<string, string> = {};
  const curl = (from: string, args: string[]): Promise<Result> => h.inWorkload(from, "curl", ["-s", "-m", "3", ...args], 10_000);
  type Net = { networks: { ip4: string; ip6: string }[] };
  const url = (ip: string, p: string) => (ip.includes(":") ? `http://[${ip}]${p}` : `http://${ip}${p}`);

  before(async () => {
    h = await new TestHost("hrl").setUp();
    await h.pontonOk("network", "create", "swr", "--driver", "routed", "--subnet", "10.79.0.0/24", "--ipv6", "--subnet6", "fd00:79::/64");
    const d = (JSON.parse(await h.pontonOk("run", "--name", "deathstar", "--network", "swr", "--label", "class=deathstar", "-o", "json", "--", process.execPath, "-e", PEER_ECHO_SERVER)) as Net).networks[0]!;
    const t = (JSON.parse(await h.pontonOk("run", "--name", "tiefighter", "--network", "swr", "--label", "org=empire", "-o", "json")) as Net).networks[0]!;
    [ds[4], ds[6], tie[4], tie[6]] = [d.ip4, d.ip6, t.ip4, t.ip6];
    await h.pontonOk("run", "--name", "xwing", "--network", "swr", "--label", "org=alliance");
    await h.pontonOk("service", "create", "deathstar", "--port", "80/tcp", "--selector", "class=deathstar", "--vip", VIP);
    for (const f of [4, 6]) assert.ok(await eventually(async () => (await curl("xwing", [url(ds[f]!, "/x")])).stdout.startsWith("GET"), 15_000, 200), `deathstar answers over IPv${f} before any policy`);
    const file = path.join(h.dir, "landing.yaml");
    writeFileSync(file, landingPolicy("landing-routed"));
    await h.pontonOk("policy", "apply", "-f", file);
  });
  after(() => h.tearDown());

  for (const f of [4, 6]) {
    test(`IPv${f}, the workload's own address: allowed requests reach it from the client's address, others get 403, xwing is dropped`, async () => {
      assert.equal((await curl("tiefighter", ["-XPOST", url(ds[f]!, "/v1/request-landing")])).stdout, `POST /v1/request-landing ${tie[f]}\n`);
      const denied = await curl("tiefighter", ["-i", "-XPUT", url(ds[f]!, "/v1/exhaust-port")]);
      assert.match(denied.stdout, /^HTTP\/1\.1 403 Forbidden\r\n/);
      assert.ok(denied.stdout.endsWith("\r\n\r\nAccess denied\r\n"), JSON.stringify(denied.stdout));
      // Keep-alive across the 403 on one connection (the answers keep finding HAProxy's socket).
      const w = ["-o", "/dev/null", "-w", "%{http_code} %{num_connects}\\n"];
      const ka = await curl("tiefighter", [...w, "-XPOST", url(ds[f]!, "/v1/request-landing"), "--next", ...w, "-XPUT", url(ds[f]!, "/v1/exhaust-port"), "--next", ...w, "-XPOST", url(ds[f]!, "/v1/request-landing")]);
      assert.deepEqual(ka.stdout.trim().split("\n"), ["200 1", "403 0", "200 0"]);
      assert.equal((await curl("xwing", ["-m", "2", "-XPOST", url(ds[f]!, "/v1/request-landing")])).code, 28, "xwing's SYN is dropped at L3/L4");
    });
  }

  test("a service address (after its DNAT): the same rules, the client's address at the workload", async () => {
    assert.equal((await curl("tiefighter", ["-XPOST", url(VIP, "/v1/request-landing")])).stdout, `POST /v1/request-landing ${tie[4]}\n`);
    assert.match((await curl("tiefighter", ["-i", "-XPUT", url(VIP, "/v1/exhaust-port")])).stdout, /^HTTP\/1\.1 403 Forbidden\r\n/);
  });

  test("a client on the host: HAProxy reaches the workload from the host's address, the answer comes back", async () => {
    const r = await h.inHost("curl", ["-s", "-m", "3", "-XPOST", url(ds[4]!, "/v1/request-landing")]);
    assert.match(r.stdout, /^POST \/v1\/request-landing \S+\n$/, JSON.stringify(r));
  });

  // Last: it replaces the policy. HAProxy closed the client's connection first (Connection:
  // close), so its socket on the workload's address waits in TIME_WAIT in the host's namespace.
  test("HTTP rules removed: the client's next connection from the same port is routed to the workload, not lost to HAProxy's old socket", async () => {
    const port = ["--local-port", "40123", "-H", "Connection: close"];
    assert.equal((await curl("tiefighter", [...port, "-XPOST", url(ds[4]!, "/v1/request-landing")])).stdout, `POST /v1/request-landing ${tie[4]}\n`);
    const file = path.join(h.dir, "landing-l4.yaml");
    writeFileSync(file, landingPolicy("landing-routed").replace(/\n      rules: .*\n/, "\n"));
    await h.pontonOk("policy", "apply", "-f", file);
    const r = await curl("tiefighter", [...port, "-XPUT", url(ds[4]!, "/v1/exhaust-port")]);
    assert.equal(r.stdout, `PUT /v1/exhaust-port ${tie[4]}\n`, `curl exit ${r.code}`);
  });
});
