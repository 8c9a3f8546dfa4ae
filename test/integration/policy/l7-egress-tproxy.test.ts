// Egress HTTP rules by TPROXY: the client's connections on the guarded port reach its HAProxy
// listener with their original destination intact, IPv4 and IPv6 (before this, IPv6 ones were
// dropped L7_NOT_PROXIED: HAProxy 2.6 cannot read an IPv6 original destination after a redirect),
// and a destination on this host's networks sees the client's own address (before this, the
// host's), so its own ingress NetworkPolicy, which admits the client's pods only, admits it. A
// client on a bridge and one on a routed network.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { OUTSIDE_6, OUTSIDE_A, TestHost, UPLINK_HOST, UPLINK_HOST6, eventually, type Result } from "../harness";
import { PEER_ECHO_SERVER, tieOutPolicy } from "./l7-landing";

const POLICIES = tieOutPolicy(`  - toCIDR: [${OUTSIDE_A}/32, ${OUTSIDE_6}/128]
    toPorts:
    - ports: [{port: "80", protocol: TCP}]
      rules: {http: [{method: GET, path: "/public/.*"}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deathstar-in}
spec:
  podSelector: {matchLabels: {class: deathstar}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {org: empire, ship: fighter}}}]
    ports: [{port: 80, protocol: TCP}]
`);

describe("egress HTTP rules by TPROXY: IPv6, and the destination sees the client's address", () => {
  let h: TestHost;
  let outsideServer: ChildProcess | undefined;
  const ds: Record<string, string> = {};
  const tie: Record<string, string> = {};
  const rtie: Record<string, string> = {};
  const curl = (from: string, args: string[]): Promise<Result> => h.inWorkload(from, "curl", ["-s", "-m", "3", ...args], 10_000);
  type Net = { networks: { ip4: string; ip6: string }[] };
  const url = (ip: string, p: string) => (ip.includes(":") ? `http://[${ip}]${p}` : `http://${ip}${p}`);
  const run = async (name: string, net: string, label: string, server = false, label2?: string) => (JSON.parse(await h.pontonOk("run", "--name", name, "--network", net, "--label", label, ...(label2 ? ["--label", label2] : []), "-o", "json", ...(server ? ["--", process.execPath, "-e", PEER_ECHO_SERVER] : []))) as Net).networks[0]!;

  before(async () => {
    h = await new TestHost("hre").setUp();
    outsideServer = spawn("ip", ["netns", "exec", h.outsideNs, process.execPath, "-e", PEER_ECHO_SERVER], { stdio: "ignore" });
    await h.pontonOk("network", "create", "swt", "--subnet", "10.76.0.0/24", "--ipv6", "--subnet6", "fd00:76::/64");
    await h.pontonOk("network", "create", "swtr", "--driver", "routed", "--subnet", "10.75.0.0/24", "--ipv6", "--subnet6", "fd00:75::/64", "--route-to", "swt");
    const d = await run("deathstar", "swt", "class=deathstar", true);
    const t = await run("tiefighter", "swt", "org=empire", false, "ship=fighter");
    const r = await run("tie-routed", "swtr", "org=empire", false, "ship=fighter");
    await run("tie-bomber", "swt", "org=empire");
    [ds[4], ds[6], tie[4], tie[6], rtie[4], rtie[6]] = [d.ip4, d.ip6, t.ip4, t.ip6, r.ip4, r.ip6];
    await run("xwing", "swt", "org=alliance");
    for (const f of [4, 6]) assert.ok(await eventually(async () => (await curl("tie-routed", [url(ds[f]!, "/x")])).stdout.startsWith("GET"), 15_000, 200), `deathstar answers over IPv${f} before any policy`);
    const file = path.join(h.dir, "policies.yaml");
    writeFileSync(file, POLICIES);
    await h.pontonOk("policy", "apply", "-f", file);
  });
  after(async () => {
    outsideServer?.kill();
    await h.tearDown();
  });

  for (const f of [4, 6]) {
    test(`IPv${f}: the bridged and the routed client's allowed requests reach the destination from their own address; others get 403; keep-alive across it`, async () => {
      for (const [client, own] of [["tiefighter", tie], ["tie-routed", rtie]] as const) {
        assert.equal((await curl(client, [url(ds[f]!, "/public/a")])).stdout, `GET /public/a ${own[f]}\n`, client);
        const denied = await curl(client, ["-i", "-XPOST", url(ds[f]!, "/v1/request-landing")]);
        assert.match(denied.stdout, /^HTTP\/1\.1 403 Forbidden\r\n/, client);
        assert.ok(denied.stdout.endsWith("\r\n\r\nAccess denied\r\n"), JSON.stringify(denied.stdout));
        const w = ["-o", "/dev/null", "-w", "%{http_code} %{num_connects}\\n"];
        const ka = await curl(client, [...w, url(ds[f]!, "/public/a"), "--next", ...w, "-XPUT", url(ds[f]!, "/private"), "--next", ...w, url(ds[f]!, "/public/b")]);
        assert.deepEqual(ka.stdout.trim().split("\n"), ["200 1", "403 0", "200 0"], client);
      }
    });
  }

  test("the destination's ingress policy decides on the client itself: tie-bomber (egress rules allow, deathstar's ingress does not admit it) and xwing are dropped, over both families", async () => {
    for (const f of [4, 6]) {
      assert.equal((await curl("tie-bomber", ["-m", "2", url(ds[f]!, "/public/a")])).code, 28, `tie-bomber IPv${f}`);
      assert.equal((await curl("xwing", ["-m", "2", url(ds[f]!, "/public/a")])).code, 28, `xwing IPv${f}`);
    }
  });

  test("a destination outside the host: the same rules, reached from this host's address as before (masqueraded way out), IPv4 and IPv6", async () => {
    for (const [out, uplink] of [[OUTSIDE_A, UPLINK_HOST], [OUTSIDE_6, UPLINK_HOST6]] as const) {
      assert.equal((await curl("tiefighter", [url(out, "/public/a")])).stdout, `GET /public/a ${uplink}\n`);
      assert.match((await curl("tiefighter", ["-i", "-XPOST", url(out, "/v1/request-landing")])).stdout, /^HTTP\/1\.1 403 Forbidden\r\n/);
    }
  });

  test("IPv6 requests are L7 records with direction egress, the client and the real destination", async () => {
    type Rec = { direction: string; source: { ip: string; workload?: string }; destination: { ip: string; workload?: string; port?: number }; l7?: { status: number } };
    let rs: Rec[] = [];
    assert.ok(await eventually(async () => {
      rs = (JSON.parse(await h.pontonOk("observe", "--type", "l7", "-o", "json")) as Rec[]).filter((r) => r.source.ip === tie[6] && r.destination.ip !== OUTSIDE_6);
      return rs.filter((r) => r.l7?.status === 403).length >= 2 && rs.filter((r) => r.l7?.status === 200).length >= 3;
    }, 5000), JSON.stringify(rs));
    assert.ok(rs.every((r) => r.direction === "egress" && r.source.workload === "tiefighter" && r.destination.ip === ds[6] && r.destination.workload === "deathstar" && r.destination.port === 80), JSON.stringify(rs));
  });
});
