// Native routing (Flannel's host-gw, Cilium's routing-mode native): two nodes on one underlay
// segment route each other's pod blocks directly, no VXLAN; the cluster agrees on the mode once.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { eventually, inspect, ping, TestHost } from "../harness";
import { Underlay, UNDERLAY_PREFIX } from "../underlay";

const TTL_S = 2;

describe("cluster with native routing", () => {
  const ul = new Underlay("nat");
  const nodes = ["n1", "n2"].map((n) => new TestHost(`cn${n}`));
  const addr = (i: number) => `${UNDERLAY_PREFIX}.${11 + i}`;
  const args = (i: number, routing: string) => ["--cluster", ul.endpoints.join(","), "--node-name", `n${i + 1}`, "--node-ip", addr(i), "--node-lease-ttl", String(TTL_S), "--cluster-routing", routing];
  const blockOf = async (h: TestHost) => (JSON.parse(await h.pontonOk("network", "ls", "-o", "json")) as { name: string; subnet4?: string }[]).find((n) => n.name === "pods")?.subnet4;
  const ipOf = async (h: TestHost, w: string) => (await inspect(h, w)).networks.find((n) => n.network === "pods")!.ip4!;
  const routes = async (h: TestHost) => JSON.parse((await h.inHost("ip", ["-j", "route", "show", "proto", "112"])).stdout || "[]") as { dst: string; gateway: string; dev: string }[];

  before(async () => {
    await ul.setUp();
    await ul.startEtcd(1);
    for (const [i, h] of nodes.entries()) {
      h.daemonArgs = args(i, "native");
      await h.setUp({ beforeDaemon: () => ul.plug(h.hostNs, "ul0", addr(i)).then(() => undefined) });
    }
    await nodes[0]!.pontonOk("network", "create", "pods", "--scope", "cluster", "--subnet", "10.42.0.0/16", "--node-mask", "24");
    for (const [i, h] of nodes.entries()) {
      assert.ok(await eventually(async () => (await blockOf(h)) !== undefined, 20_000));
      await h.pontonOk("run", "-d", "--name", `p${i}`, "--network", "pods", "--", "socat", "TCP-LISTEN:7000,fork,reuseaddr", "SYSTEM:echo $SOCAT_PEERADDR");
    }
  });
  after(async () => {
    for (const h of nodes) await h.tearDown();
    await ul.tearDown();
  });

  test("each node routes the other's block via its address on the underlay; no VXLAN device", async () => {
    const blocks = await Promise.all(nodes.map(blockOf));
    for (const [i, h] of nodes.entries()) {
      const other = 1 - i;
      assert.ok(await eventually(async () => (await routes(h)).some((r) => r.dst === blocks[other]), 15_000), `route on n${i + 1}`);
      assert.deepEqual((await routes(h)).map((r) => [r.dst, r.gateway, r.dev]), [[blocks[other], addr(other), "ul0"]]);
      assert.notEqual((await h.inHost("ip", ["link", "show", "pvx0"])).code, 0, "no VXLAN device");
    }
    const table = await nodes[0]!.pontonOk("node", "tunnels");
    assert.match(table, new RegExp(`${blocks[1]!.replace(/\./g, "\\.")}\\s+${addr(1).replace(/\./g, "\\.")}\\s+n2\\s+pods\\s+-\\s+-`));
  });

  test("pods reach each other with their own addresses at the underlay's full MTU", async () => {
    const ips = await Promise.all(nodes.map((h, i) => ipOf(h, `p${i}`)));
    assert.ok(await eventually(() => ping(nodes[0]!, "p0", ips[1]!), 15_000));
    for (const [from, to] of [[0, 1], [1, 0]] as const) {
      const r = await nodes[from]!.inWorkload(`p${from}`, "socat", ["-T", "3", "-", `TCP:${ips[to]}:7000`], 8000);
      assert.equal(r.stdout.trim(), ips[from], `p${to} saw ${r.stdout.trim()} (${r.stderr})`);
    }
    const eth0 = JSON.parse((await nodes[0]!.inWorkload("p0", "ip", ["-j", "link", "show", "eth0"])).stdout) as { mtu: number }[];
    assert.equal(eth0[0]!.mtu, 1500, "no encapsulation overhead");
    const full = await nodes[0]!.inWorkload("p0", "ping", ["-c", "1", "-W", "2", "-M", "do", "-s", String(1500 - 28), ips[1]!]);
    assert.equal(full.code, 0, full.stdout + full.stderr);
  });

  test("the underlay stays the host's: a stranger on the segment routing via a node does not reach its pods", async () => {
    const owned = (await nodes[0]!.inHost("nft", ["list", "set", "inet", "ponton", "owned_ifs"])).stdout;
    assert.doesNotMatch(owned, /"ul0"/);
    const stranger = await ul.addNamespace("stranger", `${UNDERLAY_PREFIX}.50`);
    const pod = await ipOf(nodes[0]!, "p0");
    await ul.run(stranger, "ip", ["route", "add", "10.42.0.0/16", "via", addr(0)]);
    const r = await ul.run(stranger, "ping", ["-c", "2", "-W", "1", pod]);
    assert.notEqual(r.code, 0, "a non-cluster source is not forwarded to pods");
  });

  test("a node asking for another routing mode is refused with a code and makes no VXLAN device", async () => {
    const h = new TestHost("cnn3");
    h.daemonArgs = args(2, "vxlan");
    try {
      await assert.rejects(h.setUp({ beforeDaemon: () => ul.plug(h.hostNs, "ul0", addr(2)).then(() => undefined) }), /CLUSTER_CONFIG_MISMATCH[\s\S]*--cluster-routing native/);
      assert.notEqual((await h.inHost("ip", ["link", "show", "pvx0"])).code, 0);
    } finally {
      await h.tearDown();
    }
  });

  test("a killed node's route leaves the other within the lease TTL", async () => {
    const block = await blockOf(nodes[1]!);
    await nodes[1]!.stopDaemon("SIGKILL");
    assert.ok(await eventually(async () => !(await routes(nodes[0]!)).some((r) => r.dst === block), (TTL_S + 1) * 1000 + 5000));
  });
});
