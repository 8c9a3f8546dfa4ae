// The routed network driver (`--driver routed`) on the real kernel: no bridge, a veth and a /32 and
// /128 host route per workload, the gateway on the host's lo. Everything a bridge network does is
// probed with traffic: workload to workload, isolation and --route-to, egress masquerade, a published
// port from outside and from the host, a service VIP, DNS on the gateway, healing and a restart.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { policyEngineWorld } from "../policy/policy-engine-world";
import { TRUTH_CASES } from "../../../src/policy/testing/truth-cases";
import { TestHost, OUTSIDE_A, UPLINK_HOST, curlFrom, eventually, httpServer, inspect, ping, sh } from "../harness";

interface Route {
  dst: string;
  dev?: string;
  gateway?: string;
  prefsrc?: string;
  type?: string;
}
interface Neigh {
  dst: string;
  lladdr?: string;
  state?: string[];
}

describe("routed network driver", () => {
  let h: TestHost;
  const att = async (w: string) => (await inspect(h, w)).networks[0]! as unknown as { ip4: string; ip6: string; hostIfname: string; mac: string };
  const hostRoutes = async (family: "-4" | "-6") => JSON.parse((await h.inHost("ip", [family, "-j", "route"])).stdout || "[]") as Route[];
  const inOut = (c: string, a: string[], t?: number) => h.inOutside(c, a, t);
  const ping6 = async (from: string, ip: string) => (await h.inWorkload(from, "ping", ["-6", "-c", "1", "-W", "1", ip])).code === 0;

  before(async () => {
    h = await new TestHost("rn").setUp();
    await h.pontonOk("network", "create", "rn", "--driver", "routed", "--subnet", "10.81.0.0/24", "--ipv6", "--subnet6", "fd00:81::/64");
    await h.pontonOk("network", "create", "bn", "--subnet", "10.82.0.0/24");
    await h.pontonOk("run", "--name", "a", "--network", "rn", "--label", "app=a");
    await h.pontonOk("run", "--name", "b", "--network", "rn", "--label", "app=web", "-p", "8095:80");
    await h.pontonOk("run", "--name", "c", "--network", "bn");
    httpServer(h, h.ns("b"), 80, "b-80");
  });
  after(() => h.tearDown());

  test("no bridge: the host end has no address on the subnet; /32 and /128 host routes; the gateway lives on lo", async () => {
    const n = (JSON.parse(await h.pontonOk("network", "inspect", "rn")) as { driver: string; bridge: string }[])[0]!;
    assert.equal(n.driver, "routed");
    assert.equal(n.bridge, "");
    const bn = (JSON.parse(await h.pontonOk("network", "inspect", "bn")) as { bridge: string }[])[0]!.bridge;
    const bridges = (JSON.parse((await h.inHost("ip", ["-j", "link", "show", "type", "bridge"])).stdout) as { ifname: string }[]).map((l) => l.ifname);
    assert.deepEqual(bridges, [bn], "the bridge network's bridge is the host's only one");
    const a = await att("a");
    assert.match(a.hostIfname, /^pr-[0-9a-f]{12}$/);
    const addrs = (await h.inHost("ip", ["-o", "addr", "show", "dev", a.hostIfname])).stdout;
    assert.doesNotMatch(addrs, /10\.81\.|fd00:81:/, "no subnet address on the host veth");
    assert.match((await h.inHost("ip", ["-o", "addr", "show", "dev", "lo"])).stdout, /10\.81\.0\.1\/32/);
    const v4 = (await hostRoutes("-4")).find((r) => r.dst === a.ip4);
    assert.deepEqual([v4?.dev, v4?.prefsrc], [a.hostIfname, "10.81.0.1"]);
    assert.equal((await hostRoutes("-6")).find((r) => r.dst === a.ip6)?.dev, a.hostIfname);
    assert.ok((await hostRoutes("-4")).some((r) => r.dst === "10.81.0.0/24" && r.type === "unreachable"), "unassigned addresses are unreachable, not sent to the default route");
    // Inside: host prefixes, everything through the gateway.
    const inside = (await h.inWorkload("a", "ip", ["-o", "addr", "show", "dev", "eth0"])).stdout;
    assert.match(inside, new RegExp(`${a.ip4.replace(/\./g, "\\.")}/32`));
    assert.match(inside, new RegExp(`${a.ip6}/128`));
    assert.match((await h.inWorkload("a", "ip", ["route", "show", "default"])).stdout, /default via 10\.81\.0\.1 dev eth0/);
  });

  test("workload ↔ workload (IPv4 and IPv6), the gateway, and host → workload", async () => {
    const b = await att("b");
    assert.ok(await ping(h, "a", b.ip4), "a → b IPv4");
    assert.ok(await ping6("a", b.ip6), "a → b IPv6");
    assert.ok(await ping(h, "a", "10.81.0.1"), "a → gateway");
    assert.ok(await ping6("a", "fd00:81::1"), "a → gateway IPv6");
    assert.equal((await h.inHost("ping", ["-c", "1", "-W", "1", b.ip4])).code, 0, "host → b");
    assert.equal(await curlFrom((c, x, t) => h.inWorkload("a", c, x, t), `http://${b.ip4}/`), "b-80");
    assert.equal(await curlFrom((c, x, t) => h.inWorkload("a", c, x, t), `http://[${b.ip6}]/`), "b-80");
  });

  test("no ARP or NDP: both ends have permanent entries, and a workload's only neighbour is its gateway", async () => {
    const a = await att("a");
    const gwMac = (JSON.parse((await h.inHost("ip", ["-j", "link", "show", a.hostIfname])).stdout) as { address: string }[])[0]!.address;
    const inside = JSON.parse((await h.inWorkload("a", "ip", ["-j", "neigh", "show", "dev", "eth0"])).stdout) as Neigh[];
    for (const gw of ["10.81.0.1", "fd00:81::1"]) assert.ok(inside.some((n) => n.dst === gw && n.lladdr === gwMac && n.state?.includes("PERMANENT")), `a: permanent ${gw} → ${gwMac}`);
    assert.deepEqual(inside.filter((n) => !n.state?.includes("PERMANENT")), [], "a learned no neighbour (it pinged b through the gateway)");
    const onHost = JSON.parse((await h.inHost("ip", ["-j", "neigh", "show", "dev", a.hostIfname])).stdout) as Neigh[];
    assert.ok(onHost.some((n) => n.dst === a.ip4 && n.lladdr === a.mac && n.state?.includes("PERMANENT")), JSON.stringify(onHost));
    // Count ARP/ND on a's veth while it talks to b, the gateway and the host.
    const counting = `table netdev rncount {\n  chain in {\n    type filter hook ingress device "${a.hostIfname}" priority 0;\n    ether type arp counter\n    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } counter\n  }\n}\n`;
    const made = await sh("nsenter", [`--net=/run/netns/${h.hostNs}`, "nft", "-f", "-"], { input: counting });
    assert.equal(made.code, 0, made.stderr);
    try {
      const b = await att("b");
      assert.ok(await ping(h, "a", b.ip4));
      assert.ok(await ping6("a", b.ip6));
      assert.ok(await ping(h, "a", "10.81.0.1"));
      assert.equal((await h.inHost("ping", ["-c", "1", "-W", "1", a.ip4])).code, 0);
      const counters = (await h.inHost("nft", ["list", "table", "netdev", "rncount"])).stdout;
      assert.deepEqual([...counters.matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1])), [0, 0], counters);
    } finally {
      await h.inHost("nft", ["delete", "table", "netdev", "rncount"]);
    }
  });

  test("isolation: a bridge network's workload cannot reach the routed one, nor the other way; --route-to opens it", async () => {
    const a = await att("a");
    const c = (await inspect(h, "c")).networks[0]!.ip4!;
    assert.equal(await ping(h, "c", a.ip4), false, "c (bridge) → a (routed) dropped");
    assert.equal(await ping(h, "a", c), false, "a → c dropped");
    const flows = await h.pontonOk("observe", "--verdict", "DROPPED", "--workload", "c", "-o", "json");
    assert.match(flows, /ISOLATION/);
    await h.pontonOk("network", "create", "linked", "--subnet", "10.83.0.0/24", "--route-to", "rn");
    await h.pontonOk("run", "--name", "d", "--network", "linked");
    assert.ok(await eventually(() => ping(h, "d", a.ip4)), "d (--route-to rn) → a");
    assert.ok(await ping(h, "a", (await inspect(h, "d")).networks[0]!.ip4!), "a → d");
    assert.equal(await ping(h, "c", a.ip4), false, "c still dropped");
  });

  test("egress is masqueraded to the host's address", async () => {
    h.spawnIn(h.outsideNs, "socat", ["TCP-LISTEN:7081,fork,reuseaddr", "SYSTEM:'echo $SOCAT_PEERADDR'"]);
    const seen = async () => (await h.inWorkload("a", "sh", ["-c", `echo | socat -T2 - TCP:${OUTSIDE_A}:7081`])).stdout.trim();
    assert.ok(await eventually(async () => (await seen()) === UPLINK_HOST), "the outside sees the host's uplink address");
  });

  test("a published port answers from outside, from the host, and from a neighbour", async () => {
    assert.ok(await eventually(async () => (await curlFrom(inOut, `http://${UPLINK_HOST}:8095/`)) === "b-80"), "from outside");
    assert.equal(await curlFrom((c, x, t) => h.inHost(c, x, t), "http://127.0.0.1:8095/"), "b-80", "from the host's loopback");
    assert.equal(await curlFrom((c, x, t) => h.inHost(c, x, t), `http://${UPLINK_HOST}:8095/`), "b-80", "from the host's address");
    assert.equal(await curlFrom((c, x, t) => h.inWorkload("a", c, x, t), `http://${UPLINK_HOST}:8095/`), "b-80", "from a neighbour (hairpin)");
    // The workload's own address is not open from outside on a NAT network.
    await h.inOutside("ip", ["route", "add", "10.81.0.0/24", "via", UPLINK_HOST]);
    assert.equal(await curlFrom(inOut, `http://${(await att("b")).ip4}/`, ["-m", "2"]), "");
  });

  test("a service VIP with an endpoint on the routed network", async () => {
    await h.pontonOk("service", "create", "web", "--port", "80/tcp", "--selector", "app=web", "--vip", "10.96.81.10");
    assert.ok(await eventually(async () => (await curlFrom((c, x, t) => h.inWorkload("a", c, x, t), "http://10.96.81.10/")) === "b-80"), "a → VIP → b");
    assert.ok(await eventually(async () => (await curlFrom((c, x, t) => h.inWorkload("c", c, x, t), "http://10.96.81.10/")) === "b-80"), "c (another network) → VIP → b");
  });

  test("DNS on the gateway: names of the network and of services", async () => {
    assert.match((await h.inWorkload("a", "cat", ["/etc/resolv.conf"])).stdout, /nameserver 10\.81\.0\.1/);
    const b = await att("b");
    const dig = async (...args: string[]) => (await h.inWorkload("a", "dig", ["+time=2", "+tries=1", "+short", ...args])).stdout.trim();
    assert.ok(await eventually(async () => (await dig("b.ponton.internal")) === b.ip4), "a resolves b");
    assert.equal(await dig("AAAA", "b.ponton.internal"), b.ip6);
    assert.equal(await dig("@fd00:81::1", "b.ponton.internal"), b.ip4, "the IPv6 gateway answers too");
    assert.equal(await dig("web.default.svc.cluster.local"), "10.96.81.10");
  });

  test("healing: a deleted host route and a deleted host veth come back", async () => {
    const b = await att("b");
    assert.equal((await h.inHost("ip", ["route", "del", `${b.ip4}/32`])).code, 0);
    assert.ok(await eventually(async () => (await hostRoutes("-4")).some((r) => r.dst === b.ip4 && r.dev === b.hostIfname), 10_000), "the /32 is back");
    assert.equal((await h.inHost("ip", ["-6", "route", "del", `${b.ip6}/128`])).code, 0);
    assert.ok(await eventually(async () => (await hostRoutes("-6")).some((r) => r.dst === b.ip6), 10_000), "the /128 is back");
    assert.ok(await ping(h, "a", b.ip4));
    assert.equal((await h.inHost("ip", ["link", "del", b.hostIfname])).code, 0);
    assert.ok(await eventually(() => ping(h, "a", b.ip4), 15_000), "b's veth and routes are rebuilt");
    assert.ok(await eventually(async () => (await curlFrom(inOut, `http://${UPLINK_HOST}:8095/`)) === "b-80"), "its published port answers again");
    assert.equal((await h.inHost("ip", ["addr", "del", "10.81.0.1/32", "dev", "lo"])).code, 0);
    assert.ok(await eventually(() => ping(h, "a", "10.81.0.1"), 10_000), "the gateway address is back on lo");
  });

  test("ponton up: `driver: routed` in a project file", async () => {
    const file = path.join(h.dir, "routed.yaml");
    writeFileSync(file, "networks:\n  flat2:\n    driver: routed\n    subnet: 10.84.0.0/24\nworkloads:\n  p1:\n    networks: [flat2]\n  p2:\n    networks: [flat2]\n");
    await h.pontonOk("up", file);
    assert.equal((JSON.parse(await h.pontonOk("network", "inspect", "flat2")) as { driver: string }[])[0]!.driver, "routed");
    assert.match((await att("p1")).hostIfname, /^pr-/);
    assert.ok(await ping(h, "p1", (await att("p2")).ip4), "p1 → p2");
  });

  test("kill -9 and restart: traffic never stops; what changed meanwhile is reconciled", async () => {
    const a = await att("a");
    const b = await att("b");
    await h.stopDaemon("SIGKILL");
    assert.ok(await ping(h, "a", b.ip4), "the data plane lives in the kernel");
    await h.inHost("ip", ["route", "del", `${a.ip4}/32`]);
    await h.startDaemon();
    assert.ok(await eventually(() => ping(h, "b", a.ip4), 10_000), "a's route is back after the restart");
    await h.pontonOk("run", "--name", "e", "--network", "rn");
    const e = await att("e");
    assert.ok(await ping(h, "e", a.ip4));
    await h.pontonOk("rm", "e");
    // The kernel tears a deleted namespace (and the veth pair in it) down asynchronously: a few ms.
    assert.ok(await eventually(async () => !(await hostRoutes("-4")).some((r) => r.dst === e.ip4), 5000), "a removed workload's route goes with its veth");
  });
});

// A slice of the NetworkPolicy truth table, with the policy engine tests' world on routed networks:
// same-namespace traffic goes veth to veth through the host (no bridge), the rest between networks.
describe("network policy on routed networks", () => {
  const world = policyEngineWorld("rp", { driver: "routed" });
  const SLICE = ["deny-all ingress in x", "x/a from pod=b of its namespace", "x/a from namespace y", "x/a egress to y/b TCP 80, y/b ingress only from x", "x/a from IPv4 ipBlock with excepts"];
  for (const name of SLICE) {
    test(`kernel agrees with policy explain: ${name}`, async () => {
      const c = TRUTH_CASES.find((x) => x.name === name);
      assert.ok(c, `no truth case ${name}`);
      assert.ok((await world.apply(c.yaml)).length > 0);
      try {
        assert.deepEqual(await world.disagreements(), []);
      } finally {
        await world.removeAll();
      }
    });
  }

  test("a dropped connection is a flow record naming the policy", async () => {
    await world.apply(TRUTH_CASES.find((x) => x.name === "x/a from pod=b of its namespace")!.yaml);
    try {
      const cell = { from: "xc", to: "xa", port: 80, proto: "TCP" } as const;
      assert.equal((await world.probeAll([cell])).get(cell), false);
      type Drop = { source: { workload?: string }; destination: { workload?: string }; direction?: string; policies: string[] };
      const drops = async () => JSON.parse(await world.h.pontonOk("observe", "--verdict", "DROPPED", "--workload", "xc", "--port", "80", "-o", "json")) as Drop[];
      const named = (d: Drop) => d.source.workload === "xc" && d.destination.workload === "xa" && d.direction === "ingress" && d.policies.length > 0;
      assert.ok(await eventually(async () => (await drops()).some(named), 5000), JSON.stringify(await drops()));
    } finally {
      await world.removeAll();
    }
  });
});
