// MTU, routes (blackhole, default-route metrics, networks without a default route) and the routed
// gateway mode, on the real kernel: read inside the workload's namespace and probed with traffic.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TestHost, curlFrom, eventually, httpServer, OUTSIDE_A, ping, UPLINK_HOST } from "../harness";

interface NetJson {
  name: string;
  mtu: number;
  bridge: string;
  gatewayMode?: string;
}

describe("network MTU, routes and gateway modes", () => {
  let h: TestHost;
  // Not /sys: nsenter --net keeps the machine's sysfs mount.
  const mtuOf = async (where: "host" | string, dev: string) => {
    const r = where === "host" ? await h.inHost("ip", ["-o", "link", "show", "dev", dev]) : await h.inWorkload(where, "ip", ["-o", "link", "show", "dev", dev]);
    return Number(/ mtu (\d+)/.exec(r.stdout)?.[1]);
  };
  const net = async (name: string) => (JSON.parse(await h.pontonOk("network", "inspect", name)) as NetJson[])[0]!;
  const hostEnd = async (w: string) => (JSON.parse(await h.pontonOk("inspect", w)) as { networks: { hostIfname: string }[] }[])[0]!.networks[0]!.hostIfname;
  const routeGet = async (w: string, ip: string) => (await h.inWorkload(w, "ip", ["route", "get", ip])).stdout;

  before(async () => {
    h = await new TestHost("rt").setUp();
  });
  after(() => h.tearDown());

  test("MTU: a network takes its uplink's MTU; the bridge, host veth and workload interface follow it", async () => {
    await h.inHost("ip", ["link", "set", "uplink0", "mtu", "1450"]);
    await h.pontonOk("network", "create", "up", "--subnet", "10.61.0.0/24");
    await h.pontonOk("run", "--name", "u1", "--network", "up");
    const n = await net("up");
    assert.equal(n.mtu, 1450);
    assert.equal(await mtuOf("host", n.bridge), 1450);
    assert.equal(await mtuOf("host", await hostEnd("u1")), 1450);
    assert.equal(await mtuOf("u1", "eth0"), 1450);
    await h.inHost("ip", ["link", "set", "uplink0", "mtu", "1500"]);
  });

  test("MTU: --mtu sets it; a packet one byte over does not leave the workload unfragmented", async () => {
    await h.pontonOk("network", "create", "small", "--subnet", "10.62.0.0/24", "--mtu", "1300");
    await h.pontonOk("run", "--name", "s1", "--network", "small");
    const n = await net("small");
    assert.equal(n.mtu, 1300);
    assert.equal(await mtuOf("host", n.bridge), 1300);
    assert.equal(await mtuOf("host", await hostEnd("s1")), 1300);
    assert.equal(await mtuOf("s1", "eth0"), 1300);
    // 1272 + 8 (ICMP) + 20 (IP) = 1300.
    assert.equal((await h.inWorkload("s1", "ping", ["-c", "1", "-W", "1", "-M", "do", "-s", "1272", "10.62.0.1"])).code, 0);
    assert.notEqual((await h.inWorkload("s1", "ping", ["-c", "1", "-W", "1", "-M", "do", "-s", "1273", "10.62.0.1"])).code, 0);
  });

  test("MTU: out of range, or below IPv6's 1280 on an IPv6 network, is refused before anything is made", async () => {
    const low = await h.ponton("network", "create", "bad1", "--subnet", "10.63.9.0/24", "--mtu", "67");
    assert.equal(low.code, 2);
    assert.match(low.stderr, /MTU 67 is outside 68\.\.65535/);
    const v6 = await h.ponton("network", "create", "bad2", "--subnet", "10.63.8.0/24", "--ipv6", "--mtu", "1200");
    assert.match(v6.stderr, /MTU 1200 is below 1280, the minimum for IPv6/);
    assert.equal((await h.ponton("network", "inspect", "bad2")).code, 4);
  });

  test("--route DST=blackhole: the workload discards traffic to DST; others still reach it", async () => {
    await h.pontonOk("network", "create", "egress", "--subnet", "10.64.0.0/24");
    await h.pontonOk("run", "--name", "open", "--network", "egress");
    await h.pontonOk("run", "--name", "holed", "--network", "egress", "--route", `${OUTSIDE_A}/32=blackhole`);
    assert.match((await h.inWorkload("holed", "ip", ["route"])).stdout, new RegExp(`blackhole ${OUTSIDE_A.replace(/\./g, "\\.")}`));
    assert.ok(await ping(h, "open", OUTSIDE_A));
    assert.equal(await ping(h, "holed", OUTSIDE_A), false);
    assert.ok(await ping(h, "holed", "198.51.100.3"), "other destinations are untouched");
  });

  test("two networks: each gives a default route, the first without a metric, the later one with a higher metric", async () => {
    await h.pontonOk("network", "create", "first", "--subnet", "10.65.0.0/24");
    await h.pontonOk("network", "create", "second", "--subnet", "10.66.0.0/24");
    await h.pontonOk("run", "--name", "two", "--network", "first", "--network", "second");
    const routes = (await h.inWorkload("two", "ip", ["route", "show", "default"])).stdout;
    assert.match(routes, /^default via 10\.65\.0\.1 dev eth0\s*$/m);
    assert.match(routes, /default via 10\.66\.0\.1 dev eth1 metric 1101/);
    assert.match(await routeGet("two", OUTSIDE_A), /via 10\.65\.0\.1 dev eth0/);
    assert.ok(await ping(h, "two", OUTSIDE_A));
    // The first network goes: the second's default route is already there.
    await h.pontonOk("network", "disconnect", "first", "two");
    assert.match(await routeGet("two", OUTSIDE_A), /via 10\.66\.0\.1 dev eth1/);
    assert.ok(await ping(h, "two", OUTSIDE_A));
  });

  test("--default-route-metric: the lowest metric carries the traffic, whatever the join order", async () => {
    await h.pontonOk("network", "create", "slow", "--subnet", "10.67.0.0/24", "--default-route-metric", "500");
    await h.pontonOk("network", "create", "fast", "--subnet", "10.68.0.0/24", "--default-route-metric", "10");
    await h.pontonOk("run", "--name", "pick", "--network", "slow", "--network", "fast");
    const routes = (await h.inWorkload("pick", "ip", ["route", "show", "default"])).stdout;
    assert.match(routes, /default via 10\.68\.0\.1 dev eth1 metric 10/);
    assert.match(routes, /default via 10\.67\.0\.1 dev eth0 metric 500/);
    assert.match(await routeGet("pick", OUTSIDE_A), /via 10\.68\.0\.1 dev eth1/);
    assert.ok(await ping(h, "pick", OUTSIDE_A));
  });

  test("--no-default-route: the network gives no default route; alone, the workload reaches only its subnet", async () => {
    await h.pontonOk("network", "create", "side", "--subnet", "10.69.0.0/24", "--no-default-route");
    await h.pontonOk("run", "--name", "sideonly", "--network", "side");
    await h.pontonOk("run", "--name", "sidefirst", "--network", "side", "--network", "first");
    assert.doesNotMatch((await h.inWorkload("sideonly", "ip", ["route"])).stdout, /default/);
    assert.equal(await ping(h, "sideonly", OUTSIDE_A), false);
    assert.ok(await ping(h, "sideonly", "10.69.0.3"), "its own subnet still works");
    const routes = (await h.inWorkload("sidefirst", "ip", ["route", "show", "default"])).stdout;
    assert.doesNotMatch(routes, /10\.69\.0\.1/);
    assert.match(await routeGet("sidefirst", OUTSIDE_A), /via 10\.65\.0\.1 dev eth1/);
    assert.ok(await ping(h, "sidefirst", OUTSIDE_A));
  });

  describe("gateway mode routed", () => {
    const inOut = (c: string, a: string[], t?: number) => h.inOutside(c, a, t);
    before(async () => {
      await h.pontonOk("network", "create", "direct", "--subnet", "10.70.0.0/24", "--gateway-mode", "routed");
      await h.pontonOk("network", "create", "natted", "--subnet", "10.71.0.0/24");
      await h.pontonOk("run", "--name", "web", "--network", "direct", "-p", "8090:80");
      await h.pontonOk("run", "--name", "nweb", "--network", "natted", "-p", "8091:80");
      for (const [w, port] of [["web", 80], ["web", 81], ["nweb", 80]] as const) httpServer(h, h.ns(w), port, `${w}-${port}`);
      // The outside routes both networks to the host's uplink (as a router upstream would).
      await h.inOutside("ip", ["route", "add", "10.70.0.0/24", "via", UPLINK_HOST]);
      await h.inOutside("ip", ["route", "add", "10.71.0.0/24", "via", UPLINK_HOST]);
    });

    test("inspect shows the mode", async () => {
      assert.equal((await net("direct")).gatewayMode, "routed");
      assert.equal((await net("natted")).gatewayMode, "nat");
    });

    test("from outside: the published container port answers at the workload's address; an unpublished one is dropped", async () => {
      assert.ok(await eventually(async () => (await curlFrom(inOut, "http://10.70.0.2:80/")) === "web-80"), "published container port, directly");
      assert.equal(await curlFrom(inOut, "http://10.70.0.2:81/", ["-m", "2"]), "", "unpublished port");
      assert.ok((await h.inOutside("ping", ["-c", "1", "-W", "1", "10.70.0.2"])).code === 0, "ICMP reaches a routed workload");
      assert.equal(await curlFrom(inOut, `http://${UPLINK_HOST}:8090/`), "web-80", "the host port still works");
      // The NAT network: only through the host port.
      assert.ok(await eventually(async () => (await curlFrom(inOut, `http://${UPLINK_HOST}:8091/`)) === "nweb-80"));
      assert.equal(await curlFrom(inOut, "http://10.71.0.2:80/", ["-m", "2"]), "");
    });

    test("no masquerade: the outside sees the workload's own address", async () => {
      h.spawnIn(h.outsideNs, "socat", ["TCP-LISTEN:7071,fork,reuseaddr", "SYSTEM:'echo $SOCAT_PEERADDR'"]);
      const seen = async (w: string) => (await h.inWorkload(w, "sh", ["-c", `echo | socat -T2 - TCP:${OUTSIDE_A}:7071`])).stdout.trim();
      assert.ok(await eventually(async () => (await seen("web")) === "10.70.0.2"), "routed: no NAT");
      assert.ok(await eventually(async () => (await seen("nweb")) === UPLINK_HOST), "nat: masqueraded");
    });
  });
});
