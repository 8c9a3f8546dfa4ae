// Egress HTTP rules (`egress: toPorts.rules.http`): Cilium polices the client's requests. The
// selected workload's connections on that port go through HAProxy (TPROXY on their way out),
// which allows or denies each request and connects to the original destination itself (a
// destination on this host's networks from the client's own address); every
// request is an L7 flow record with direction egress. Before this, such a policy was refused
// (POLICY_NOT_IMPLEMENTED).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually, type Result } from "../harness";
import { PEER_ECHO_SERVER, tieOutPolicy } from "./l7-landing";

const VIP = "10.96.0.82";

describe("egress HTTP rules (HAProxy)", () => {
  let h: TestHost;
  let ds = "";
  let tie = "";
  let xw = "";
  const curl = (from: string, args: string[]): Promise<Result> => h.inWorkload(from, "curl", ["-s", "-m", "3", ...args], 10_000);
  type Net = { networks: { ip4: string }[] };

  before(async () => {
    h = await new TestHost("hle").setUp();
    await h.pontonOk("network", "create", "swe", "--subnet", "10.77.0.0/24");
    ds = (JSON.parse(await h.pontonOk("run", "--name", "deathstar", "--network", "swe", "--label", "class=deathstar", "-o", "json", "--", process.execPath, "-e", PEER_ECHO_SERVER)) as Net).networks[0]!.ip4;
    xw = (JSON.parse(await h.pontonOk("run", "--name", "xwing", "--network", "swe", "--label", "org=alliance", "-o", "json", "--", process.execPath, "-e", PEER_ECHO_SERVER)) as Net).networks[0]!.ip4;
    tie = (JSON.parse(await h.pontonOk("run", "--name", "tiefighter", "--network", "swe", "--label", "org=empire", "-o", "json")) as Net).networks[0]!.ip4;
    await h.pontonOk("service", "create", "deathstar", "--port", "80/tcp", "--selector", "class=deathstar", "--vip", VIP);
    assert.ok(await eventually(async () => (await curl("tiefighter", [`http://${ds}/x`])).stdout.startsWith("GET"), 15_000, 200), "deathstar answers before any policy");
    const file = path.join(h.dir, "tie-out.yaml");
    writeFileSync(file, tieOutPolicy());
    await h.pontonOk("policy", "apply", "-f", file);
  });
  after(() => h.tearDown());

  test("the selected client's requests: allowed ones reach the destination from the client's own address, others get 403 Access denied", async () => {
    assert.equal((await curl("tiefighter", [`http://${ds}/public/a`])).stdout, `GET /public/a ${tie}\n`);
    const denied = await curl("tiefighter", ["-i", "-XPOST", `http://${ds}/v1/request-landing`]);
    assert.match(denied.stdout, /^HTTP\/1\.1 403 Forbidden\r\n/);
    assert.ok(denied.stdout.endsWith("\r\n\r\nAccess denied\r\n"), JSON.stringify(denied.stdout));
    // Keep-alive: one connection, the allowed request after the denied one still answered.
    const w = ["-o", "/dev/null", "-w", "%{http_code} %{num_connects}\\n"];
    const ka = await curl("tiefighter", [...w, `http://${ds}/public/a`, "--next", ...w, "-XPUT", `http://${ds}/private`, "--next", ...w, `http://${ds}/public/b`]);
    assert.deepEqual(ka.stdout.trim().split("\n"), ["200 1", "403 0", "200 0"]);
  });

  test("L3/L4 still first: a destination no egress rule names is dropped; a service address on the guarded port is dropped, not let through unpoliced", async () => {
    assert.equal((await curl("tiefighter", ["-m", "2", `http://${xw}/public/a`])).code, 28, "xwing is not an allowed destination");
    assert.equal((await curl("tiefighter", ["-m", "2", `http://${VIP}/public/a`])).code, 28, "the VIP path is not proxied for egress: dropped");
  });

  test("a workload no egress policy selects is not proxied (the destination sees its own address)", async () => {
    assert.equal((await curl("xwing", ["-XPOST", `http://${ds}/v1/request-landing`])).stdout, `POST /v1/request-landing ${xw}\n`);
  });

  test("records: direction egress, the client and the real destination, the deciding rule; the VIP drop is L7_NOT_PROXIED", async () => {
    type Rec = { direction: string; verdict: string; source: { ip: string; workload?: string }; destination: { ip: string; workload?: string; port?: number }; l7?: { method: string; status: number }; policies: string[] };
    let rs: Rec[] = [];
    assert.ok(await eventually(async () => {
      rs = JSON.parse(await h.pontonOk("observe", "--type", "l7", "-o", "json")) as Rec[];
      return rs.filter((r) => r.l7?.status === 403).length >= 2 && rs.filter((r) => r.l7?.status === 200).length >= 3;
    }, 5000), JSON.stringify(rs));
    assert.ok(rs.every((r) => r.direction === "egress" && r.source.workload === "tiefighter" && r.destination.workload === "deathstar" && r.destination.ip === ds && r.destination.port === 80), JSON.stringify(rs));
    assert.ok(rs.filter((r) => r.l7!.status === 200).every((r) => r.policies.includes("cnp:default/tie-out")), JSON.stringify(rs));
    let drops: { dropReason?: string; source: { ip: string }; destination: { ip: string; port?: number } }[] = [];
    assert.ok(await eventually(async () => {
      drops = JSON.parse(await h.pontonOk("observe", "--verdict", "DROPPED", "--from", "default/tiefighter", "-o", "json")) as typeof drops;
      return drops.some((d) => d.dropReason === "L7_NOT_PROXIED" && d.source.ip === tie && d.destination.ip === ds && d.destination.port === 80);
    }, 5000), JSON.stringify(drops));
  });
});
