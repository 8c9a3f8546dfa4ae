// Networks, workloads, reachability, isolation, egress NAT and published ports on the real kernel.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TestHost, curlFrom, eventually, httpServer, OUTSIDE_A, UPLINK_HOST } from "../harness";

describe("single host: bridge networks", () => {
  let h: TestHost;
  before(async () => {
    h = await new TestHost("sh").setUp();
    await h.pontonOk("network", "create", "net-a", "--subnet", "172.20.0.0/24");
    await h.pontonOk("network", "create", "net-b", "--subnet", "172.21.0.0/24");
    await h.pontonOk("network", "create", "quiet", "--subnet", "172.22.0.0/24", "--no-icc");
    await h.pontonOk("network", "create", "sealed", "--subnet", "172.23.0.0/24", "--internal");
    await h.pontonOk("run", "--name", "a1", "--network", "net-a", "--label", "app=web");
    await h.pontonOk("run", "--name", "a2", "--network", "net-a", "--ip", "172.20.0.50");
    await h.pontonOk("run", "--name", "b1", "--network", "net-b");
    await h.pontonOk("run", "--name", "q1", "--network", "quiet");
    await h.pontonOk("run", "--name", "q2", "--network", "quiet");
    await h.pontonOk("run", "--name", "s1", "--network", "sealed");
  });
  after(() => h.tearDown());

  const ping = async (from: string, ip: string) => (await h.inWorkload(from, "ping", ["-c", "1", "-W", "1", ip])).code === 0;

  test("workloads get addresses, loopback, a default route and a resolv.conf", async () => {
    const ws = JSON.parse(await h.pontonOk("ls", "-o", "json")) as { name: string; networks: { ip4: string }[] }[];
    const ip = (n: string) => ws.find((w) => w.name === n)!.networks[0]!.ip4;
    assert.equal(ip("a1"), "172.20.0.2");
    assert.equal(ip("a2"), "172.20.0.50");
    const routes = await h.inWorkload("a1", "ip", ["route"]);
    assert.match(routes.stdout, /default via 172\.20\.0\.1 dev eth0/);
    const lo = await h.inWorkload("a1", "ip", ["-o", "link", "show", "lo"]);
    assert.match(lo.stdout, /UP/);
    const resolv = await h.inWorkload("a1", "cat", ["/etc/resolv.conf"]);
    assert.match(resolv.stdout, /nameserver 172\.20\.0\.1\n/, "the daemon's DNS on the gateway");
  });

  test("same network: ICMP, TCP and UDP pass", async () => {
    assert.ok(await ping("a1", "172.20.0.50"));
    httpServer(h, h.ns("a2"), 8080, "tcp-ok");
    assert.ok(await eventually(async () => (await curlFrom((c, a, t) => h.inWorkload("a1", c, a, t), "http://172.20.0.50:8080/")) === "tcp-ok"));
    h.spawnIn(h.ns("a2"), "socat", ["-T2", "UDP-RECVFROM:9999,fork", "EXEC:'echo udp-ok'"]);
    const got = await eventually(async () => {
      const r = await h.inWorkload("a1", "sh", ["-c", "echo hi | socat -T1 - UDP:172.20.0.50:9999"]);
      return r.stdout.includes("udp-ok");
    });
    assert.ok(got, "UDP answer from a2");
  });

  test("isolation: another network cannot be reached; --no-icc blocks neighbours; the host still reaches workloads", async () => {
    assert.equal(await ping("b1", "172.20.0.2"), false);
    assert.equal(await ping("a1", "172.21.0.2"), false);
    assert.equal(await ping("q1", "172.22.0.3"), false);
    assert.equal((await h.inHost("ping", ["-c", "1", "-W", "1", "172.22.0.3"])).code, 0);
  });

  test("egress is masqueraded to the uplink address; internal networks have no way out", async () => {
    httpServer(h, h.outsideNs, 8088, "outside");
    // busybox httpd logs nothing by default: ask the outside who it sees with a socat echo of the peer address.
    h.spawnIn(h.outsideNs, "socat", ["TCP-LISTEN:7070,fork,reuseaddr", "SYSTEM:'echo $SOCAT_PEERADDR'"]);
    const seen = await eventually(async () => (await h.inWorkload("a1", "socat", ["-T2", "-", `TCP:${OUTSIDE_A}:7070`])).stdout.trim() === UPLINK_HOST);
    assert.ok(seen, "the outside sees the host's uplink address, not 172.20.0.2");
    assert.equal(await curlFrom((c, a, t) => h.inWorkload("s1", c, a, t), `http://${OUTSIDE_A}:8088/`), "");
    const sealedRoutes = await h.inWorkload("s1", "ip", ["route"]);
    assert.doesNotMatch(sealedRoutes.stdout, /default/);
  });

  test("traffic between workloads of one network is not masqueraded", async () => {
    h.spawnIn(h.ns("a2"), "socat", ["TCP-LISTEN:7071,fork,reuseaddr", "SYSTEM:'echo $SOCAT_PEERADDR'"]);
    assert.ok(await eventually(async () => (await h.inWorkload("a1", "socat", ["-T2", "-", "TCP:172.20.0.50:7071"])).stdout.trim() === "172.20.0.2"));
  });

  test("network ls / inspect show subnets and members; a network in use cannot be removed", async () => {
    const nets = JSON.parse(await h.pontonOk("network", "ls", "-o", "json")) as { name: string; subnet4?: string }[];
    assert.deepEqual(nets.map((n) => n.name).sort(), ["host", "net-a", "net-b", "none", "quiet", "sealed"]);
    const [a] = JSON.parse(await h.pontonOk("network", "inspect", "net-a")) as { workloads: { name: string }[] }[];
    assert.deepEqual(a!.workloads.map((w) => w.name).sort(), ["a1", "a2"]);
    const r = await h.ponton("network", "rm", "net-a");
    assert.equal(r.code, 3);
    assert.match(r.stderr, /NETWORK_IN_USE/);
  });

  test("the outside cannot reach a workload's address directly (only published ports)", async () => {
    await h.inOutside("ip", ["route", "add", "172.20.0.0/24", "via", UPLINK_HOST]);
    assert.equal((await h.inOutside("ping", ["-c", "1", "-W", "1", "172.20.0.2"])).code, 1);
  });
});
