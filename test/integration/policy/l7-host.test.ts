// Connections from the host itself to a port guarded by HTTP rules: a client in the host's
// namespace (the workload's address) and a NodePort-style hairpin (the host's own address and a
// published port) go through HAProxy too. A rule naming the host (`fromEntities: [host]`) gives the
// host exactly its HTTP rules; with none, the host's every request passes (Ponton does not police
// host traffic at L3/L4, as Cilium's allow-localhost) — proxied and recorded either way. Before
// this, the host's connections went straight to the workload, unpoliced and unrecorded.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, UPLINK_HOST, eventually, type Result } from "../harness";
import { landingPolicy, PEER_ECHO_SERVER } from "./l7-landing";

const SERVER = PEER_ECHO_SERVER;

const SEED = landingPolicy("landing");
const HOST_RULE = `  - fromEntities: [host]
    toPorts:
    - ports: [{port: "80", protocol: TCP}]
      rules: {http: [{method: GET, path: /health}]}
`;

describe("HTTP rules on the host's own connections (HAProxy)", () => {
  let h: TestHost;
  let ds = "";
  let tie = "";
  // The host reaches the workload from one of its addresses (which one is the kernel's choice).
  const hostAddrs = ["10.76.0.1", UPLINK_HOST];
  const fromHost = (text: string, expect: string) => hostAddrs.some((a) => text === `${expect} ${a}\n`);
  const curl = (args: string[]): Promise<Result> => h.inHost("curl", ["-s", "-m", "3", ...args], 10_000);
  const apply = async (yaml: string) => {
    const file = path.join(h.dir, "p.yaml");
    writeFileSync(file, yaml);
    await h.pontonOk("policy", "apply", "-f", file);
  };

  before(async () => {
    h = await new TestHost("hlh").setUp();
    await h.pontonOk("network", "create", "swh", "--subnet", "10.76.0.0/24");
    ds = (JSON.parse(await h.pontonOk("run", "--name", "deathstar", "--network", "swh", "--label", "class=deathstar", "-p", "8080:80", "-o", "json", "--", process.execPath, "-e", SERVER)) as { networks: { ip4: string }[] }).networks[0]!.ip4;
    tie = (JSON.parse(await h.pontonOk("run", "--name", "tiefighter", "--network", "swh", "--label", "org=empire", "-o", "json")) as { networks: { ip4: string }[] }).networks[0]!.ip4;
    assert.ok(await eventually(async () => (await curl([`http://${ds}/x`])).stdout.startsWith("GET"), 15_000, 200), "deathstar answers the host before any policy");
  });
  after(() => h.tearDown());

  test("no rule names the host: its every request passes, through the proxy (recorded, the workload sees the host's address)", async () => {
    await apply(SEED);
    const put = (await curl(["-XPUT", `http://${ds}/v1/exhaust-port`])).stdout;
    assert.ok(fromHost(put, "PUT /v1/exhaust-port"), put);
    let rs: { source: { ip: string }; verdict: string; l7?: { method: string; url: string } }[] = [];
    assert.ok(await eventually(async () => {
      rs = JSON.parse(await h.pontonOk("observe", "--type", "l7", "--http-method", "PUT", "-o", "json")) as typeof rs;
      return rs.some((r) => hostAddrs.includes(r.source.ip) && r.verdict === "FORWARDED" && r.l7!.url === "/v1/exhaust-port");
    }, 5000), JSON.stringify(rs));
  });

  test("fromEntities: host with HTTP rules: the host's requests get exactly those, on the workload's address and on a published port (hairpin)", async () => {
    await apply(SEED + HOST_RULE);
    // The reload's old worker may still take a connection or two (HAProxy shares the listening socket).
    assert.ok(await eventually(async () => (await curl(["-XPOST", `http://${ds}/v1/request-landing`])).stdout === "Access denied\r\n", 5000, 200), "the empire's rule is not the host's");
    const health = (await curl([`http://${ds}/health`])).stdout;
    assert.ok(fromHost(health, "GET /health"), health);
    assert.equal((await curl([`http://${UPLINK_HOST}:8080/health`])).stdout, `GET /health ${UPLINK_HOST}\n`);
    assert.equal((await curl(["-XPUT", `http://${UPLINK_HOST}:8080/v1/exhaust-port`])).stdout, "Access denied\r\n");
    // The workloads' rules are unchanged.
    assert.equal((await h.inWorkload("tiefighter", "curl", ["-s", "-m", "3", "-XPOST", `http://${ds}/v1/request-landing`], 10_000)).stdout, `POST /v1/request-landing ${tie}\n`);
  });

  test("the host's denied requests are L7 records from the host's addresses, naming the workload", async () => {
    let rs: { source: { ip: string }; destination: { workload?: string; port?: number }; verdict: string; l7?: { method: string } }[] = [];
    assert.ok(await eventually(async () => {
      rs = JSON.parse(await h.pontonOk("observe", "--type", "l7", "--http-status", "403", "-o", "json")) as typeof rs;
      return rs.filter((r) => hostAddrs.includes(r.source.ip)).length >= 2;
    }, 5000), JSON.stringify(rs));
    assert.ok(rs.every((r) => r.verdict === "DROPPED" && r.destination.workload === "deathstar" && r.destination.port === 80), JSON.stringify(rs));
  });
});
