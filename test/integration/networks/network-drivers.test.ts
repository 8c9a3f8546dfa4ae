// macvlan networks on the real kernel: workloads on the parent's segment, reached by a peer there;
// 802.1Q VLAN parents and ipvlan refused, naming the kernel feature this kernel lacks.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TestHost, curlFrom, eventually, httpServer, inspect, ping, sh } from "../harness";

describe("network drivers: macvlan on a parent's segment", () => {
  let h: TestHost;
  let peer: string;
  const inPeer = (cmd: string, args: string[], t = 10_000) => sh("ip", ["netns", "exec", peer, cmd, ...args], { timeoutMs: t });
  const hostLinks = async () => (await h.inHost("ip", ["-br", "link"])).stdout;

  before(async () => {
    h = await new TestHost("drv").setUp();
    // The segment: seg0 in the host (the parent, with the host's own address on it) and a peer machine.
    peer = `${h.prefix}-PEER`;
    await sh("ip", ["netns", "add", peer]);
    await h.inHost("ip", ["link", "add", "seg0", "type", "veth", "peer", "name", "eth0", "netns", peer]);
    await h.inHost("ip", ["addr", "add", "192.168.77.254/24", "dev", "seg0"]);
    await h.inHost("ip", ["link", "set", "seg0", "up"]);
    await sh("ip", ["-n", peer, "addr", "add", "192.168.77.1/24", "dev", "eth0"]);
    await sh("ip", ["-n", peer, "link", "set", "eth0", "up"]);
    await sh("ip", ["-n", peer, "link", "set", "lo", "up"]);
    await h.pontonOk("network", "create", "lan", "--driver", "macvlan", "--parent", "seg0", "--subnet", "192.168.77.0/24", "--gateway", "192.168.77.1");
    await h.pontonOk("run", "--name", "m1", "--network", "lan", "--ip", "192.168.77.10");
    await h.pontonOk("run", "--name", "m2", "--network", "lan");
  });
  after(() => h.tearDown());

  test("the workload's interface is a macvlan child of the parent, with the network's address, MTU and default route", async () => {
    const link = (await h.inWorkload("m1", "ip", ["-d", "link", "show", "eth0"])).stdout;
    assert.match(link, /macvlan mode bridge/);
    assert.match(link, /mtu 1500/);
    assert.match((await h.inWorkload("m1", "ip", ["-4", "-br", "addr", "show", "eth0"])).stdout, /192\.168\.77\.10\/24/);
    assert.match((await h.inWorkload("m1", "ip", ["route"])).stdout, /default via 192\.168\.77\.1 dev eth0/);
    const w = await inspect(h, "m2");
    assert.equal(w.networks[0]!.hostIfname, "", "no host end: nothing of the workload in the host namespace");
    const net = JSON.parse(await h.pontonOk("network", "inspect", "lan"))[0] as { driver: string; parent: string; mode: string; mtu: number; bridge: string };
    assert.deepEqual([net.driver, net.parent, net.mode, net.mtu, net.bridge], ["macvlan", "seg0", "bridge", 1500, ""]);
    assert.doesNotMatch(await hostLinks(), /pv-|pbr-/, "no veth, no bridge");
  });

  test("a peer on the segment pings the workloads and connects to them; they reach it and each other", async () => {
    httpServer(h, h.ns("m1"), 8080, "on-the-segment");
    assert.ok(await eventually(async () => (await inPeer("ping", ["-c", "1", "-W", "1", "192.168.77.10"])).code === 0), "peer pings m1");
    assert.ok(await eventually(async () => (await curlFrom(inPeer, "http://192.168.77.10:8080/")) === "on-the-segment"), "peer connects to m1");
    assert.ok(await ping(h, "m1", "192.168.77.1"), "m1 pings the peer");
    assert.ok(await ping(h, "m2", "192.168.77.10"), "macvlan bridge mode: children reach each other");
    // The peer saw the workload's own MAC (macvlan), not the host's.
    const mac = (await h.inWorkload("m1", "cat", ["/sys/class/net/eth0/address"])).stdout.trim();
    assert.match((await inPeer("ip", ["neigh", "show", "192.168.77.10"])).stdout, new RegExp(mac));
  });

  test("documented: a macvlan child cannot reach the parent's own host address", async () => {
    assert.equal(await ping(h, "m1", "192.168.77.254"), false);
  });

  test("published ports are refused on a macvlan network, with the reason", async () => {
    const r = await h.ponton("run", "--name", "bad", "--network", "lan", "-p", "8081:80");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /network lan is macvlan: there is no host port to publish/);
    assert.equal((await h.ponton("inspect", "bad")).code, 4, "nothing made");
  });

  test("a missing parent, and options that need a bridge, are refused before anything is made", async () => {
    const missing = await h.ponton("network", "create", "x1", "--driver", "macvlan", "--parent", "nope0", "--subnet", "192.168.90.0/24");
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /parent interface nope0 does not exist/);
    const routed = await h.ponton("network", "create", "x2", "--driver", "macvlan", "--parent", "seg0", "--subnet", "192.168.91.0/24", "--gateway-mode", "routed");
    assert.match(routed.stderr, /--gateway-mode does not apply to a macvlan network/);
    const big = await h.ponton("network", "create", "x3", "--driver", "macvlan", "--parent", "seg0", "--subnet", "192.168.92.0/24", "--mtu", "9000");
    assert.match(big.stderr, /MTU 9000 is larger than the MTU of parent seg0 \(1500\)/);
    const names = (JSON.parse(await h.pontonOk("network", "ls", "-o", "json")) as { name: string }[]).map((n) => n.name);
    assert.ok(!names.some((n) => n.startsWith("x")), names.join(","));
  });

  test("802.1Q parent IF.ID: refused naming 802.1Q support on this kernel, leaving no link and no record", async (t) => {
    const r = await h.ponton("network", "create", "v20", "--driver", "macvlan", "--parent", "seg0.20", "--subnet", "192.168.20.0/24");
    if (r.code === 0) {
      // A kernel with 802.1Q: the VLAN is made, and removed with the network.
      assert.match(await hostLinks(), /seg0\.20@seg0/);
      await h.pontonOk("network", "rm", "v20");
      assert.doesNotMatch(await hostLinks(), /seg0\.20/);
      t.diagnostic("this kernel has 802.1Q: VLAN made and removed");
      return;
    }
    assert.match(r.stderr, /this kernel has no 802\.1Q VLAN support \(CONFIG_VLAN_8021Q/);
    assert.doesNotMatch(await hostLinks(), /seg0\.20/);
    assert.equal((await h.ponton("network", "inspect", "v20")).code, 4);
  });

  test("ipvlan: refused naming ipvlan support on this kernel, leaving no probe link", async (t) => {
    const r = await h.ponton("network", "create", "iv", "--driver", "ipvlan", "--mode", "l3", "--parent", "seg0", "--subnet", "192.168.30.0/24");
    if (r.code === 0) {
      t.diagnostic("this kernel has ipvlan");
      await h.pontonOk("network", "rm", "iv");
      return;
    }
    assert.match(r.stderr, /this kernel has no ipvlan support \(CONFIG_IPVLAN\)/);
    assert.doesNotMatch(await hostLinks(), /pprobe/);
    assert.equal((await h.ponton("network", "inspect", "iv")).code, 4);
  });

  test("a daemon restart and a reconcile leave macvlan workloads as they are", async () => {
    await h.stopDaemon();
    await h.startDaemon();
    await h.pontonOk("reconcile");
    assert.equal((await h.inWorkload("m1", "ip", ["-br", "link", "show", "eth0"])).code, 0);
    assert.ok((await inPeer("ping", ["-c", "1", "-W", "1", "192.168.77.10"])).code === 0);
  });

  test("removing the workloads removes their sub-interfaces; then the network goes, the parent stays", async () => {
    await h.pontonOk("rm", "m2");
    await h.pontonOk("network", "disconnect", "lan", "m1");
    assert.doesNotMatch((await h.inWorkload("m1", "ip", ["-br", "link"])).stdout, /eth0/, "disconnect deletes the child in the namespace");
    await h.pontonOk("rm", "m1");
    await h.pontonOk("network", "rm", "lan");
    assert.match(await hostLinks(), /seg0/);
  });
});
