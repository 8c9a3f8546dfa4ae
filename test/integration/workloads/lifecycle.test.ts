// Lifecycle on the real kernel: a daemon crash keeps the data plane and re-adopts processes;
// sticky and static addresses; connect/disconnect; routing between subnets without NAT; static routes.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TestHost, curlFrom, docRoot, eventually, inspect, listWorkloads, ping, processAlive, UPLINK_HOST } from "../harness";

async function linkIndex(h: TestHost, ifname: string): Promise<number | undefined> {
  const r = await h.inHost("ip", ["-j", "link", "show", "dev", ifname]);
  return r.code === 0 ? (JSON.parse(r.stdout) as { ifindex: number }[])[0]?.ifindex : undefined;
}

describe("lifecycle", () => {
  let h: TestHost;
  before(async () => {
    h = await new TestHost("lc").setUp();
  });
  after(() => h.tearDown());

  test("a daemon crash keeps traffic flowing; the restarted daemon re-adopts the workloads and their processes", async () => {
    await h.pontonOk("network", "create", "life", "--subnet", "10.41.0.0/24");
    const root = docRoot(h, "w1", "w1-ok");
    await h.pontonOk("run", "--name", "w1", "--network", "life", "-p", "8081:80", "--", "busybox", "httpd", "-f", "-p", "80", "-h", root);
    await h.pontonOk("run", "--name", "w2", "--network", "life");
    const w1 = await inspect(h, "w1");
    const ip1 = w1.networks[0]!.ip4!;
    const pid = w1.pid!;
    assert.ok(pid > 0 && processAlive(pid), "w1's httpd runs");
    const published = () => curlFrom((c, a, t) => h.inOutside(c, a, t), `http://${UPLINK_HOST}:8081/`);
    assert.ok(await eventually(async () => (await published()) === "w1-ok"), "published port answers before the crash");
    assert.ok(await ping(h, "w2", ip1));
    const vethIndex = await linkIndex(h, w1.networks[0]!.hostIfname);
    assert.ok(vethIndex !== undefined);

    await h.stopDaemon("SIGKILL");
    assert.equal((await h.client.request("GET", "/v1/info").catch((e: { code?: string }) => e.code)), "DAEMON_UNAVAILABLE");
    assert.ok(await ping(h, "w2", ip1), "workload-to-workload traffic while the daemon is down");
    assert.equal(await published(), "w1-ok", "published port while the daemon is down");
    assert.ok(processAlive(pid), "the workload's process outlives the daemon");

    await h.startDaemon();
    const ws = await listWorkloads(h);
    assert.deepEqual(ws.map((w) => [w.name, w.state]).sort(), [["w1", "running"], ["w2", "running"]]);
    assert.equal(ws.find((w) => w.name === "w1")!.pid, pid, "same process, not a restarted one");
    assert.ok(processAlive(pid));
    assert.equal(await linkIndex(h, w1.networks[0]!.hostIfname), vethIndex, "the endpoint was kept, not rebuilt");
    assert.equal(await published(), "w1-ok", "published port after the restart");
    assert.ok(await ping(h, "w2", ip1));

    // Re-adopted: the new daemon can stop the process the old one started.
    await h.pontonOk("stop", "w1", "-t", "2");
    assert.ok(await eventually(async () => !processAlive(pid)), "the adopted process is stopped");
    assert.equal((await inspect(h, "w1")).state, "stopped");
    assert.equal(await published(), "", "nothing answers once stopped");
    await h.pontonOk("rm", "-f", "w1", "w2");
    assert.deepEqual(await listWorkloads(h), []);
  });

  test("sticky addresses survive re-creation; --ip is static; a taken --ip is refused with ADDRESS_IN_USE", async () => {
    await h.pontonOk("network", "create", "sticky", "--subnet", "10.42.0.0/24");
    await h.pontonOk("run", "--name", "s1", "--network", "sticky");
    const first = (await inspect(h, "s1")).networks[0]!.ip4!;
    await h.pontonOk("rm", "-f", "s1");
    await h.pontonOk("run", "--name", "s2", "--network", "sticky");
    const other = (await inspect(h, "s2")).networks[0]!.ip4!;
    assert.notEqual(other, first, "a new name does not take the address remembered for s1");
    await h.pontonOk("run", "--name", "s1", "--network", "sticky");
    assert.equal((await inspect(h, "s1")).networks[0]!.ip4, first, "s1 gets its address back");
    assert.match((await h.inWorkload("s1", "ip", ["-4", "-o", "addr", "show", "eth0"])).stdout, new RegExp(`inet ${first.replace(/\./g, "\\.")}/24`));

    await h.pontonOk("run", "--name", "s3", "--network", "sticky", "--ip", "10.42.0.100");
    assert.equal((await inspect(h, "s3")).networks[0]!.ip4, "10.42.0.100");
    assert.match((await h.inWorkload("s3", "ip", ["-4", "-o", "addr", "show", "eth0"])).stdout, /inet 10\.42\.0\.100\/24/);
    assert.ok(await ping(h, "s1", "10.42.0.100"));

    const before = await listWorkloads(h);
    const taken = await h.ponton("run", "--name", "s4", "--network", "sticky", "--ip", "10.42.0.100");
    assert.equal(taken.code, 3, taken.stderr);
    assert.match(taken.stderr, /ADDRESS_IN_USE/);
    const gw = await h.ponton("run", "--name", "s4", "--network", "sticky", "--ip", "10.42.0.1");
    assert.equal(gw.code, 3, "the gateway is never handed out");
    assert.deepEqual(await listWorkloads(h), before, "nothing was created");
    assert.equal((await h.inHost("ip", ["netns", "list"])).stdout.includes(h.ns("s4")), false);
    await h.pontonOk("rm", "-f", "s1", "s2", "s3");
  });

  test("network connect gives a second interface on the other network; disconnect takes it away", async () => {
    await h.pontonOk("network", "create", "ca", "--subnet", "10.43.0.0/24");
    await h.pontonOk("network", "create", "cb", "--subnet", "10.44.0.0/24");
    await h.pontonOk("run", "--name", "c1", "--network", "ca");
    await h.pontonOk("run", "--name", "c2", "--network", "cb");
    const c2ip = (await inspect(h, "c2")).networks[0]!.ip4!;
    assert.equal(await ping(h, "c1", c2ip), false, "separate networks are isolated");

    await h.pontonOk("network", "connect", "cb", "c1");
    const c1 = await inspect(h, "c1");
    const onB = c1.networks.find((n) => n.network === "cb");
    assert.ok(onB, "c1 is on cb");
    assert.equal(onB.ifname, "eth1");
    assert.match(onB.ip4!, /^10\.44\.0\./);
    assert.match((await h.inWorkload("c1", "ip", ["-4", "-o", "addr", "show", "eth1"])).stdout, new RegExp(`inet ${onB.ip4!.replace(/\./g, "\\.")}/24`));
    assert.ok(await ping(h, "c1", c2ip), "c1 reaches c2 over eth1");
    assert.ok(await ping(h, "c2", onB.ip4!), "c2 reaches c1's new address");
    // The default route stays on the first network.
    assert.match((await h.inWorkload("c1", "ip", ["route"])).stdout, /default via 10\.43\.0\.1 dev eth0/);
    const again = await h.ponton("network", "connect", "cb", "c1");
    assert.equal(again.code, 3);
    assert.match(again.stderr, /ALREADY_CONNECTED/);

    await h.pontonOk("network", "disconnect", "cb", "c1");
    assert.equal((await h.inWorkload("c1", "ip", ["link", "show", "eth1"])).code, 1, "eth1 is gone");
    assert.equal(await linkIndex(h, onB.hostIfname), undefined, "the host end is gone");
    assert.equal(await ping(h, "c1", c2ip), false);
    assert.deepEqual((await inspect(h, "c1")).networks.map((n) => n.network), ["ca"]);
    const [cb] = JSON.parse(await h.pontonOk("network", "inspect", "cb")) as { workloads: { name: string }[] }[];
    assert.deepEqual(cb!.workloads.map((w) => w.name), ["c2"]);
    await h.pontonOk("rm", "-f", "c1", "c2");
  });

  test("two /25s routed through the host reach each other without NAT; unrouted networks stay isolated; static routes", async () => {
    await h.pontonOk("network", "create", "left", "--subnet", "10.13.37.0/25");
    await h.pontonOk("network", "create", "right", "--subnet", "10.13.37.128/25", "--route-to", "left");
    await h.pontonOk("network", "create", "iso1", "--subnet", "10.45.0.0/24");
    await h.pontonOk("network", "create", "iso2", "--subnet", "10.46.0.0/24");
    await h.pontonOk("run", "--name", "l1", "--network", "left");
    await h.pontonOk("run", "--name", "r1", "--network", "right");
    await h.pontonOk("run", "--name", "i1", "--network", "iso1");
    await h.pontonOk("run", "--name", "i2", "--network", "iso2");
    await h.pontonOk("run", "--name", "rt1", "--network", "left", "--route", "10.50.0.0/16=10.13.37.1");
    const ipOf = async (n: string) => (await inspect(h, n)).networks[0]!.ip4!;
    const [l1, r1, i1, i2] = [await ipOf("l1"), await ipOf("r1"), await ipOf("i1"), await ipOf("i2")];
    assert.match(l1, /^10\.13\.37\./);
    assert.ok(Number(r1.split(".")[3]) > 128);

    assert.ok(await ping(h, "l1", r1), "left -> right");
    assert.ok(await ping(h, "r1", l1), "right -> left");
    // The server sees the client's own address: routed, not masqueraded.
    h.spawnIn(h.ns("r1"), "socat", ["TCP-LISTEN:7070,fork,reuseaddr", "SYSTEM:'echo $SOCAT_PEERADDR'"]);
    h.spawnIn(h.ns("l1"), "socat", ["TCP-LISTEN:7070,fork,reuseaddr", "SYSTEM:'echo $SOCAT_PEERADDR'"]);
    const peerSeen = async (from: string, to: string) => (await h.inWorkload(from, "socat", ["-T2", "-", `TCP:${to}:7070`])).stdout.trim();
    assert.ok(await eventually(async () => (await peerSeen("l1", r1)) === l1), "right sees left's real address");
    assert.ok(await eventually(async () => (await peerSeen("r1", l1)) === r1), "left sees right's real address");

    assert.equal(await ping(h, "i1", i2), false, "networks without --route-to are isolated");
    assert.equal(await ping(h, "i2", i1), false);
    assert.equal(await ping(h, "i1", l1), false);
    assert.equal(await ping(h, "l1", i1), false);

    const routes = (await h.inWorkload("rt1", "ip", ["route"])).stdout;
    assert.match(routes, /10\.50\.0\.0\/16 via 10\.13\.37\.1 dev eth0/);
    assert.match(routes, /default via 10\.13\.37\.1 dev eth0/);
    const bad = await h.ponton("run", "--name", "rt2", "--network", "left", "--route", "10.50.0.0/16");
    assert.equal(bad.code, 2, "a route needs DST=VIA");
  });

  test("rm stops every process left in the workload's namespace, daemonized ones too", async () => {
    await h.pontonOk("network", "create", "bg", "--subnet", "10.61.0.0/24");
    // The background sleep outlives its parent shell's exec'd process: Docker's rm would kill it with the container.
    await h.pontonOk("run", "--name", "daemonizer", "--network", "bg", "--", "sh", "-c", "setsid sleep 1000 & exec sleep 1001");
    const netns = (await inspect(h, "daemonizer")).netnsName!;
    let pids: string[] = [];
    assert.ok(await eventually(async () => (pids = (await h.inHost("ip", ["netns", "pids", netns])).stdout.split(/\s+/).filter(Boolean)).length === 2), "two processes run in it");
    await h.pontonOk("rm", "-f", "daemonizer");
    assert.ok(await eventually(async () => pids.every((p) => !processAlive(Number(p)))), `still running: ${pids.filter((p) => processAlive(Number(p)))}`);
  });
});
