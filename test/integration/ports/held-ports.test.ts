// Published ports are held (bound by the port holder, as docker-proxy does), through a daemon restart;
// wildcard and loopback addresses of both families; random host ports; IPv6 clients of an IPv4-only
// workload (relayed); range limits.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TestHost, curlFrom, eventually, httpServer, UPLINK_HOST, UPLINK_HOST6, type Result } from "../harness";

interface PortJson {
  workload: string;
  spec: string;
  hostIp?: string;
  hostPort: number;
  containerPort: number;
  protocol: string;
  reachableFrom: string;
}

describe("held ports", () => {
  let h: TestHost;
  const fromOutside = (url: string) => curlFrom((c, a, t) => h.inOutside(c, a, t), url);
  const fromHost = (url: string) => curlFrom((c, a, t) => h.inHost(c, a, t), url);
  /** A host process (not Ponton) tries to bind the port, with SO_REUSEADDR as servers do: "bound" or the bind's error. */
  const hostBind = async (family: 4 | 6, type: "tcp" | "udp", port: number, addr = family === 4 ? "0.0.0.0" : "::"): Promise<string> => {
    const py = `import socket\ns = socket.socket(socket.AF_INET${family === 6 ? "6" : ""}, socket.SOCK_${type === "tcp" ? "STREAM" : "DGRAM"})\n` + `s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n` + `try:\n  s.bind((${JSON.stringify(addr)}, ${port}))\n  print("bound")\nexcept OSError as e:\n  print(e.strerror)`;
    return (await h.inHost("python3", ["-c", py])).stdout.trim();
  };
  const ports = async () => JSON.parse(await h.pontonOk("port", "ls", "-o", "json")) as PortJson[];
  const holderPids = async () => (await h.inHost("pgrep", ["-f", `holder-main.js ${h.stateDir}`])).stdout.trim();

  before(async () => {
    h = await new TestHost("hp").setUp();
    // IPv4 only: IPv6 clients reach it through the holder's relay.
    await h.pontonOk("network", "create", "v4", "--subnet", "172.31.0.0/24");
    await h.pontonOk("network", "create", "ds", "--subnet", "172.31.1.0/24", "--ipv6", "--subnet6", "fd00:31:1::/64");
    await h.pontonOk("run", "--name", "four", "--network", "v4", "-p", "8001:80", "-p", "8053:53/udp", "-p", "0.0.0.0:8201:80", "-p", "[::]:8202:80", "-p", "[::1]:8203:80", "-p", "8204:7000");
    await h.pontonOk("run", "--name", "dual", "--network", "ds", "-p", "[::1]:8301:80", "-p", "8302:80");
    httpServer(h, h.ns("four"), 80, "four-80");
    httpServer(h, h.ns("dual"), 80, "dual-80");
    h.spawnIn(h.ns("four"), "socat", ["UDP-RECVFROM:53,fork", "SYSTEM:'echo udp-four'"]);
    h.spawnIn(h.ns("four"), "socat", ["TCP-LISTEN:7000,fork,reuseaddr", "EXEC:cat"]);
    assert.ok(await eventually(async () => (await fromOutside(`http://${UPLINK_HOST}:8001/`)) === "four-80"));
  });
  after(() => h.tearDown());

  test("a published port is held: a host process can no longer bind it (TCP, UDP, both families)", async () => {
    assert.match(await hostBind(4, "tcp", 8001), /in use/i);
    assert.match(await hostBind(6, "tcp", 8001), /in use/i);
    assert.match(await hostBind(4, "tcp", 8001, UPLINK_HOST), /in use/i);
    assert.match(await hostBind(4, "udp", 8053), /in use/i);
    assert.match(await hostBind(4, "tcp", 8099), /bound/, "a port nobody publishes stays free");
  });

  test("publishing over a host listener is refused with PORT_IN_USE naming the process; nothing is made", async () => {
    h.spawnIn(h.hostNs, "socat", ["TCP6-LISTEN:8100,ipv6only=0,fork", "EXEC:cat"]);
    assert.ok(await eventually(async () => (await hostBind(4, "tcp", 8100)) !== "bound"));
    const r = await h.ponton("run", "--name", "over", "--network", "v4", "-p", "8100:80");
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /PORT_IN_USE.*8100\/tcp is held by socat \(pid \d+\)/);
    assert.equal((await h.ponton("inspect", "over")).code, 4);
    const two = await h.ponton("run", "--name", "over", "--network", "v4", "-p", "8110:80", "-p", "8100:81");
    assert.equal(two.code, 3);
    assert.match(two.stderr, /PORT_IN_USE.*socat/);
    assert.match(await hostBind(4, "tcp", 8110), /bound/, "what the refused run bound is let go");
  });

  test("a service's host port is held too: refused over a host listener, relayed to the VIP for IPv6 clients", async () => {
    await h.pontonOk("label", "four", "app=four");
    const r = await h.ponton("service", "create", "busy", "--port", "80", "--selector", "app=four", "--publish", "8100:80");
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /PORT_IN_USE.*8100\/tcp is held by socat \(pid \d+\)/);
    assert.equal((await h.ponton("service", "inspect", "busy")).code, 4);
    await h.pontonOk("service", "create", "svc", "--port", "80", "--selector", "app=four", "--publish", "8400:80");
    assert.match(await hostBind(4, "tcp", 8400), /in use/i);
    assert.equal(await fromOutside(`http://${UPLINK_HOST}:8400/`), "four-80");
    assert.equal(await fromOutside(`http://[${UPLINK_HOST6}]:8400/`), "four-80", "an IPv4 service over IPv6, relayed");
    await h.pontonOk("service", "rm", "svc");
    assert.match(await hostBind(4, "tcp", 8400), /bound/);
  });

  test("a port on an address this host does not have is refused", async () => {
    const r = await h.ponton("run", "--name", "nowhere", "--network", "v4", "-p", "192.0.2.77:8120:80");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /HOST_ADDRESS_NOT_LOCAL.*192\.0\.2\.77/);
  });

  test("0.0.0.0 is every IPv4 address, [::] every IPv6 address", async () => {
    assert.equal(await fromOutside(`http://${UPLINK_HOST}:8201/`), "four-80");
    assert.equal(await fromHost("http://127.0.0.1:8201/"), "four-80");
    assert.equal(await fromOutside(`http://[${UPLINK_HOST6}]:8201/`), "", "0.0.0.0 is IPv4 only");
    assert.equal(await fromOutside(`http://[${UPLINK_HOST6}]:8202/`), "four-80");
    assert.equal(await fromOutside(`http://${UPLINK_HOST}:8202/`), "", "[::] is IPv6 only");
    assert.match(await hostBind(4, "tcp", 8202), /bound/);
    assert.match(await hostBind(6, "tcp", 8202), /in use/i);
    const bySpec = new Map((await ports()).map((p) => [p.spec, p]));
    assert.match(bySpec.get("0.0.0.0:8201:80/tcp")!.reachableFrom, /^every IPv4 host address/);
    assert.match(bySpec.get("[::]:8202:80/tcp")!.reachableFrom, /^every IPv6 host address/);
  });

  test("[::1] works like 127.0.0.1: the host reaches it, other machines do not", async () => {
    assert.equal(await fromHost("http://[::1]:8203/"), "four-80");
    assert.equal(await fromHost("http://[::1]:8301/"), "dual-80");
    assert.equal(await fromOutside(`http://[${UPLINK_HOST6}]:8301/`), "");
    assert.equal(await fromHost("http://[::1]:8302/"), "dual-80", "a port on every address answers on ::1 too");
  });

  test("an IPv4-only workload is reachable on the host's IPv6 addresses (TCP and UDP)", async () => {
    assert.equal(await fromOutside(`http://[${UPLINK_HOST6}]:8001/`), "four-80");
    // socat's UDP echo (a forked shell per datagram) may miss one on a loaded machine: ask again.
    const udp = () => h.inOutside("sh", ["-c", `echo q | socat -T2 - UDP6:[${UPLINK_HOST6}]:8053`]);
    assert.ok(await eventually(async () => /udp-four/.test((await udp()).stdout), 15_000));
  });

  test("ranges: at most --max-port-range ports, none below 1024 unless asked", async () => {
    const all = await h.ponton("run", "--name", "wide", "--network", "v4", "-p", "1-65535:1-65535");
    assert.equal(all.code, 2);
    assert.match(all.stderr, /PORT_RANGE_TOO_LARGE.*65535 host ports; at most 1000/);
    const low = await h.ponton("run", "--name", "wide", "--network", "v4", "-p", "1000-1030:1000-1030");
    assert.equal(low.code, 2);
    assert.match(low.stderr, /PRIVILEGED_PORT_RANGE/);
    assert.equal((await h.ponton("inspect", "wide")).code, 4);
    await h.pontonOk("run", "--name", "wide", "--network", "v4", "-p", "1020-1030:1020-1030", "--privileged-ranges", "-p", "443:443");
    assert.equal((await ports()).filter((p) => p.workload === "wide").length, 12);
    assert.match(await hostBind(4, "tcp", 1025), /in use/i);
    await h.pontonOk("rm", "wide");
    assert.match(await hostBind(4, "tcp", 1025), /bound/, "removal lets the ports go");
  });

  test("no host port: a free one from the ephemeral range, shown in port ls and inspect", async () => {
    await h.pontonOk("run", "--name", "rnd", "--network", "v4", "-p", "80", "-p", "127.0.0.1::53/udp");
    const [lo, hi] = (await h.inHost("cat", ["/proc/sys/net/ipv4/ip_local_port_range"])).stdout.trim().split(/\s+/).map(Number) as [number, number];
    const mine = (await ports()).filter((p) => p.workload === "rnd");
    assert.equal(mine.length, 2);
    for (const p of mine) assert.ok(p.hostPort >= lo && p.hostPort <= hi, `${p.spec} in ${lo}-${hi}`);
    const tcp = mine.find((p) => p.protocol === "tcp")!;
    const udp = mine.find((p) => p.protocol === "udp")!;
    assert.equal(udp.spec, `127.0.0.1:${udp.hostPort}:53/udp`);
    const [inspected] = JSON.parse(await h.pontonOk("inspect", "rnd", "-o", "json")) as { ports: PortJson[] }[];
    assert.deepEqual(inspected!.ports.map((p) => p.hostPort).sort(), [tcp.hostPort, udp.hostPort].sort());
    httpServer(h, h.ns("rnd"), 80, "rnd-80");
    assert.ok(await eventually(async () => (await fromOutside(`http://${UPLINK_HOST}:${tcp.hostPort}/`)) === "rnd-80"));
    assert.match(await hostBind(4, "udp", udp.hostPort, "127.0.0.1"), /in use/i);
  });

  test("a daemon restart keeps every port held, relayed connections open, and random ports stable", async () => {
    const before = await ports();
    const holder = await holderPids();
    assert.match(holder, /^\d+$/, "one holder process for every port");
    // A relayed (IPv6 -> IPv4) connection spans the restart: the second line crosses it.
    const session: Promise<Result> = h.inOutside("sh", ["-c", `(echo one; sleep 3; echo two) | socat -t4 - TCP6:[${UPLINK_HOST6}]:8204`], 15_000);
    await new Promise((r) => setTimeout(r, 500));
    await h.stopDaemon("SIGKILL");
    assert.match(await hostBind(4, "tcp", 8001), /in use/i, "held while pontond is down");
    assert.match(await hostBind(4, "tcp", before.find((p) => p.workload === "rnd" && p.protocol === "tcp")!.hostPort), /in use/i);
    const out = await session;
    assert.equal(out.stdout, "one\ntwo\n", "the relayed connection outlived pontond");
    await h.startDaemon();
    assert.deepEqual(await ports(), before, "random ports kept their numbers");
    assert.equal(await holderPids(), holder, "the same holder took pontond back");
    const info = JSON.parse(await h.pontonOk("info")) as { portHolder: { pid: number; held: number; relayed: number } };
    assert.equal(String(info.portHolder.pid), holder);
    assert.equal(info.portHolder.held, before.length);
    assert.ok(info.portHolder.relayed >= 1);
    assert.equal(await fromOutside(`http://[${UPLINK_HOST6}]:8001/`), "four-80");
  });

  test("a holder that died is replaced and the ports taken again at start", async () => {
    await h.stopDaemon("SIGKILL");
    await h.inHost("kill", ["-9", await holderPids()]);
    assert.ok(await eventually(async () => (await hostBind(4, "tcp", 8001)) === "bound"), "the port is free without a holder");
    await h.startDaemon();
    assert.match(await holderPids(), /^\d+$/);
    assert.match(await hostBind(4, "tcp", 8001), /in use/i);
    assert.equal(await fromOutside(`http://[${UPLINK_HOST6}]:8001/`), "four-80");
  });
});
