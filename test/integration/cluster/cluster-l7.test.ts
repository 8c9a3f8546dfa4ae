// HTTP rules across nodes, as Cilium enforces them: on the guarded pod's node, for connections from
// any node. deathstar runs on n2 behind the landing policy (applied on n1: policies are the
// cluster's); tiefighter (org=empire) and xwing (org=alliance) run on n1 and reach it over the
// overlay at its own address and through a service address DNATed on n1, over IPv4 and IPv6:
// allowed requests pass with tiefighter's address, others get 403 Access denied, xwing is dropped
// at L3/L4, and every request is an L7 record on n2 (and in n1's `observe --all-nodes`). The
// reverse: a client on n1 with egress HTTP rules calling a pod on n2 is policed on n1. Before this,
// such a connection was proxied on the client's node and dropped at the pod's (L7_NOT_PROXIED).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { eventually, TestHost, type Result } from "../harness";
import { Underlay } from "../underlay";
import { landingPolicy, PEER_ECHO_SERVER } from "../policy/l7-landing";
import { startNodes } from "./cluster-world";

const SHUTTLE_OUT = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: shuttle-out}
spec:
  endpointSelector: {matchLabels: {role: shuttle}}
  egress:
  - toEndpoints: [{matchLabels: {class: hangar}}]
    toPorts:
    - ports: [{port: "80", protocol: TCP}]
      rules: {http: [{method: GET, path: "/public/.*"}]}
`;

type Net = { networks: { network: string; ip4: string; ip6: string }[] };
type Rec = { node?: string; direction: string; verdict: string; source: { ip: string; workload?: string }; destination: { ip: string; workload?: string; port?: number }; l7?: { method: string; status: number } };

for (const routing of ["vxlan", "native"] as const) {
  describe(`HTTP rules across nodes, ${routing} routing`, () => {
    const ul = new Underlay(`hx${routing[0]}`);
    const nodes = ["n1", "n2"].map((n) => new TestHost(`hx${routing[0]}${n}`));
    const [n1, n2] = nodes as [TestHost, TestHost];
    const ip: Record<string, { ip4: string; ip6: string }> = {};
    let vip4 = "";
    let vip6 = "";
    const curl = (h: TestHost, from: string, args: string[]): Promise<Result> => h.inWorkload(from, "curl", ["-s", "-m", "3", ...args], 10_000);
    const run = async (h: TestHost, name: string, label: string, ...cmd: string[]) => {
      const w = JSON.parse(await h.pontonOk("run", "--name", name, "--network", "pods", "--label", label, "-o", "json", ...(cmd.length ? ["--", ...cmd] : []))) as Net;
      ip[name] = w.networks.find((n) => n.network === "pods")!;
    };
    const apply = async (name: string, text: string) => {
      const file = path.join(n1.dir, `${name}.yaml`);
      writeFileSync(file, text);
      await n1.pontonOk("policy", "apply", "-f", file);
    };
    const url = (host: string, p: string) => `http://${host.includes(":") ? `[${host}]` : host}${p}`;

    before(async () => {
      await ul.setUp();
      await ul.startEtcd(1);
      await startNodes(ul, nodes, { extra: ["--cluster-routing", routing], serial: true });
      await n1.pontonOk("network", "create", "pods", "--scope", "cluster", "--subnet", "10.47.0.0/16", "--node-mask", "24", "--ipv6", "--subnet6", "fd47::/56", "--node-mask6", "64");
      for (const h of nodes) {
        assert.ok(await eventually(async () => (JSON.parse(await h.pontonOk("network", "ls", "-o", "json")) as { name: string; subnet6?: string }[]).some((n) => n.name === "pods" && n.subnet6), 20_000));
      }
      await run(n2, "deathstar", "class=deathstar", process.execPath, "-e", PEER_ECHO_SERVER);
      await run(n2, "hangar", "class=hangar", process.execPath, "-e", PEER_ECHO_SERVER);
      await run(n1, "tiefighter", "org=empire");
      await run(n1, "xwing", "org=alliance");
      await run(n1, "shuttle", "role=shuttle");
      await n1.pontonOk("service", "create", "deathstar", "--port", "80/tcp", "--selector", "class=deathstar", "--ip-family", "dual");
      const vips = (JSON.parse(await n1.pontonOk("service", "inspect", "deathstar")) as { vips: string[] }[])[0]!.vips;
      vip4 = vips.find((v) => !v.includes(":"))!;
      vip6 = vips.find((v) => v.includes(":"))!;
      // Everything reachable across the nodes before any policy (the remote tables have converged).
      for (const [from, to] of [["xwing", vip4], ["xwing", vip6], ["shuttle", ip.hangar!.ip4], ["xwing", ip.deathstar!.ip6]] as const) {
        assert.ok(await eventually(async () => (await curl(n1, from, [url(to, "/x")])).stdout.startsWith("GET /x"), 20_000, 200), `${from} → ${to} before any policy`);
      }
      await apply("landing", landingPolicy("landing"));
      await apply("shuttle-out", SHUTTLE_OUT);
      for (const h of nodes) assert.ok(await eventually(async () => (JSON.parse(await h.pontonOk("policy", "ls", "-o", "json")) as unknown[]).length === 2, 10_000));
    });
    after(async () => {
      for (const h of nodes) await h.tearDown();
      await ul.tearDown();
    });

    for (const family of ["ip4", "ip6"] as const) {
      test(`${family}: the pod's own address from the other node: allowed requests pass with the client's address, others get 403 Access denied, L3/L4 first`, async () => {
        const ds = ip.deathstar![family];
        const tie = ip.tiefighter![family];
        assert.ok(await eventually(async () => (await curl(n1, "tiefighter", ["-XPOST", url(ds, "/v1/request-landing")])).stdout === `POST /v1/request-landing ${tie}\n`, 10_000, 200), "the allowed request, from tiefighter's own address");
        const denied = await curl(n1, "tiefighter", ["-i", "-XPUT", url(ds, "/v1/exhaust-port")]);
        assert.match(denied.stdout, /^HTTP\/1\.1 403 Forbidden\r\n/);
        assert.ok(denied.stdout.endsWith("\r\n\r\nAccess denied\r\n"), JSON.stringify(denied.stdout));
        const xwing = await curl(n1, "xwing", ["-m", "2", "-XPOST", url(ds, "/v1/request-landing")]);
        assert.equal(xwing.code, 28, `xwing's SYN is dropped at L3/L4 (curl times out): ${xwing.code} ${xwing.stdout}`);
      });

      test(`${family}: the service address DNATed on the client's node: the same rules on the pod's node, keep-alive across a 403`, async () => {
        const vip = family === "ip4" ? vip4 : vip6;
        assert.equal((await curl(n1, "tiefighter", ["-XPOST", url(vip, "/v1/request-landing")])).stdout, `POST /v1/request-landing ${ip.tiefighter![family]}\n`);
        const w = ["-o", "/dev/null", "-w", "%{http_code} %{num_connects}\\n"];
        const ka = await curl(n1, "tiefighter", [...w, "-XPOST", url(vip, "/v1/request-landing"), "--next", ...w, "-XPUT", url(vip, "/v1/exhaust-port"), "--next", ...w, "-XPOST", url(vip, "/v1/request-landing")]);
        assert.deepEqual(ka.stdout.trim().split("\n"), ["200 1", "403 0", "200 0"]);
        assert.equal((await curl(n1, "xwing", ["-m", "2", url(vip, "/v1/request-landing")])).code, 28, "xwing through the VIP: dropped at L3/L4");
      });
    }

    test("the records are on the pod's node (ingress, tiefighter → deathstar), and in the other node's `observe --all-nodes`", async () => {
      const ds = [ip.deathstar!.ip4, ip.deathstar!.ip6];
      const tie = [ip.tiefighter!.ip4, ip.tiefighter!.ip6];
      const mine = (rs: Rec[]) => rs.filter((r) => r.direction === "ingress" && ds.includes(r.destination.ip));
      let rs: Rec[] = [];
      assert.ok(await eventually(async () => {
        rs = mine(JSON.parse(await n2.pontonOk("observe", "--type", "l7", "-o", "json")) as Rec[]);
        return rs.filter((r) => r.l7?.status === 403).length >= 4 && rs.filter((r) => r.l7?.status === 200).length >= 8;
      }, 5000), JSON.stringify(rs));
      assert.ok(rs.every((r) => tie.includes(r.source.ip) && r.source.workload === "tiefighter" && r.destination.workload === "deathstar" && r.destination.port === 80), JSON.stringify(rs));
      assert.deepEqual(mine(JSON.parse(await n1.pontonOk("observe", "--type", "l7", "-o", "json")) as Rec[]), [], "the client's node proxies none of them");
      const all = mine(JSON.parse(await n1.pontonOk("observe", "--all-nodes", "--type", "l7", "-o", "json")) as Rec[]);
      assert.ok(all.length >= rs.length && all.every((r) => r.node === "n2"), JSON.stringify(all));
    });

    // The egress proxy's own connection leaves from an address inside its node's block: the VTEP
    // address with VXLAN, the node's gateway with native routing (overlay-source.ts).
    test("the reverse: a client with egress HTTP rules calling a pod on the other node is policed on its own node", async () => {
      const hangar = ip.hangar!.ip4;
      const ok = await curl(n1, "shuttle", [url(hangar, "/public/a")]);
      assert.match(ok.stdout, /^GET \/public\/a \S+\n$/, `${ok.code} ${ok.stdout}`);
      const denied = await curl(n1, "shuttle", ["-i", "-XPOST", url(hangar, "/private")]);
      assert.match(denied.stdout, /^HTTP\/1\.1 403 Forbidden\r\n/);
      assert.ok(denied.stdout.endsWith("\r\n\r\nAccess denied\r\n"), JSON.stringify(denied.stdout));
      let rs: Rec[] = [];
      assert.ok(await eventually(async () => {
        rs = (JSON.parse(await n1.pontonOk("observe", "--type", "l7", "-o", "json")) as Rec[]).filter((r) => r.direction === "egress");
        return rs.some((r) => r.l7?.status === 200) && rs.some((r) => r.l7?.status === 403);
      }, 5000), JSON.stringify(rs));
      assert.ok(rs.every((r) => r.source.workload === "shuttle" && r.destination.ip === hangar && r.destination.workload === "hangar"), JSON.stringify(rs));
    });
  });
}
