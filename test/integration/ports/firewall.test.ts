// The host is not an open router (issue 14): traffic between interfaces Ponton does not own is not
// forwarded, forwarding is turned off again by whoever turned it on, packets conntrack cannot place
// never leave un-NATed, --no-host-access and --internal networks reach nothing of the host but DNS
// (and, for --no-host-access, published ports), and what another table's input drop does to DNS.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TestHost, eventually, inspect, sh, OUTSIDE_A, UPLINK_HOST } from "../harness";
import type { FlowRecord } from "../../../src/flows";

/** A TCP segment with the given flags and no connection behind it, sent through a raw socket. */
const STRAY_TCP = `
import socket, struct, sys
src, dst, dport, flags = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sport = 40000
def csum(b):
    if len(b) % 2: b += b"\\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
hdr = struct.pack("!HHIIBBHHH", sport, dport, 12345, 67890, 5 << 4, flags, 1024, 0, 0)
pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(hdr))
hdr = hdr[:16] + struct.pack("!H", csum(pseudo + hdr)) + hdr[18:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
for _ in range(3): s.sendto(hdr, (dst, 0))
`;
const RST_ACK = 0x14;

describe("host firewall hardening", () => {
  let h: TestHost;
  const left = () => `${h.prefix}-L`;
  const right = () => `${h.prefix}-R`;
  const inNs = (ns: string, cmd: string, args: string[], t = 8000) => sh("ip", ["netns", "exec", ns, cmd, ...args], { timeoutMs: t });
  const sysctl = async (key: string) => (await h.inHost("cat", [`/proc/sys/${key}`])).stdout.trim();
  /** A TCP exchange: the listener answers its name. */
  const tcp = async (run: (c: string, a: string[], t?: number) => Promise<{ stdout: string }>, ip: string, port: number) =>
    (await run("socat", ["-T2", "-", `TCP:${ip}:${port},connect-timeout=2`], 6000)).stdout.trim();
  const fromWorkload = (w: string, ip: string, port: number) => tcp((c, a, t) => h.inWorkload(w, c, a, t), ip, port);
  const leftToRight = () => tcp((c, a, t) => inNs(left(), c, a, t), "10.250.2.2", 7000);
  const drops = async (reason: string, since: Date) => {
    const out = await h.pontonOk("observe", "--since", since.toISOString(), "--verdict", "DROPPED", "-o", "json");
    return (JSON.parse(out) as FlowRecord[]).filter((r) => r.dropReason === reason);
  };

  before(async () => {
    h = await new TestHost("fw").setUp();
    // Two foreign namespaces routed through the host on links Ponton does not own.
    for (const [ns, hostIf, net] of [[left(), "fwl0", "10.250.1"], [right(), "fwr0", "10.250.2"]] as const) {
      await sh("ip", ["netns", "add", ns]);
      await sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
      await sh("ip", ["-n", h.hostNs, "link", "add", hostIf, "type", "veth", "peer", "name", "eth0", "netns", ns]);
      await sh("ip", ["-n", h.hostNs, "addr", "add", `${net}.1/24`, "dev", hostIf]);
      await sh("ip", ["-n", h.hostNs, "link", "set", hostIf, "up"]);
      await sh("ip", ["-n", ns, "addr", "add", `${net}.2/24`, "dev", "eth0"]);
      await sh("ip", ["-n", ns, "link", "set", "eth0", "up"]);
      await sh("ip", ["-n", ns, "route", "add", "default", "via", `${net}.1`]);
    }
    h.spawnIn(h.outsideNs, "socat", ["TCP-LISTEN:7002,fork,reuseaddr", "SYSTEM:echo outside"]);
    h.spawnIn(right(), "socat", ["TCP-LISTEN:7000,fork,reuseaddr", "SYSTEM:echo right"]);
    // A host service on every address (0.0.0.0), as an admin's own daemon would be.
    h.spawnIn(h.hostNs, "socat", ["TCP6-LISTEN:9999,fork,reuseaddr,ipv6only=0", "SYSTEM:echo host"]);
    await h.pontonOk("network", "create", "open", "--subnet", "172.31.1.0/24", "--ipv6", "--subnet6", "fd00:31:1::/64");
    await h.pontonOk("network", "create", "closed", "--subnet", "172.31.2.0/24", "--ipv6", "--subnet6", "fd00:31:2::/64", "--no-host-access");
    await h.pontonOk("network", "create", "iso", "--subnet", "172.31.3.0/24", "--internal");
    await h.pontonOk("network", "create", "iso-host", "--subnet", "172.31.4.0/24", "--internal", "--host-access");
    await h.pontonOk("run", "--name", "srv", "--network", "open", "-p", "8080:80", "--", "socat", "TCP-LISTEN:80,fork,reuseaddr", "SYSTEM:echo published");
    for (const [w, n] of [["o1", "open"], ["c1", "closed"], ["i1", "iso"], ["ih1", "iso-host"]]) await h.pontonOk("run", "--name", w!, "--network", n!);
    assert.ok(await eventually(async () => (await fromWorkload("o1", "172.31.1.1", 8080)) === "published"));
  });
  after(async () => {
    await h.inHost("nft", ["delete", "table", "inet", "hostfw"]);
    await h.tearDown();
  });

  test("traffic between two interfaces Ponton does not own is dropped, and shows in flows", async () => {
    const since = new Date();
    assert.equal(await sysctl("net/ipv4/ip_forward"), "1");
    assert.equal(await leftToRight(), "");
    const found = await eventually(async () => (await drops("FOREIGN_FORWARD", since)).some((r) => r.source.ip === "10.250.1.2" && r.destination.ip === "10.250.2.2"), 5000);
    assert.ok(found, "a FOREIGN_FORWARD drop record from 10.250.1.2 to 10.250.2.2");
    // Ponton's own traffic still crosses the host both ways.
    assert.equal(await fromWorkload("o1", OUTSIDE_A, 7002), "outside");
    assert.equal(await tcp((c, a, t) => h.inOutside(c, a, t), UPLINK_HOST, 8080), "published");
  });

  test("a stray RST/ACK from a workload never leaves with its private address (forward), nor reaches the host (input)", async () => {
    // Counts, in the outside namespace, what arrives from the workload's subnet or from the host's uplink address.
    await sh("ip", ["netns", "exec", h.outsideNs, "nft", "-f", "-"], {
      input: `table inet probe {\n counter private {}\n counter natted {}\n chain pre { type filter hook prerouting priority -300; ip saddr 172.31.0.0/16 tcp dport 7001 counter name private; ip saddr ${UPLINK_HOST} tcp dport 7001 counter name natted; }\n}\n`,
    });
    const packets = async (name: string) => Number(/packets (\d+)/.exec((await h.inOutside("nft", ["list", "counter", "inet", "probe", name])).stdout)?.[1] ?? "-1");
    // The workload's own address: the checksum covers it, and a bad checksum alone would make the packet invalid.
    const o1 = (await inspect(h, "o1")).networks[0]!.ip4!;
    const since = new Date();
    const sent = await h.inWorkload("o1", "python3", ["-c", STRAY_TCP, o1, OUTSIDE_A, "7001", String(RST_ACK)]);
    assert.equal(sent.code, 0, sent.stderr);
    // A real connection attempt afterwards proves the path and the counters: it arrives NATed.
    await fromWorkload("o1", OUTSIDE_A, 7001);
    assert.ok(await eventually(async () => (await packets("natted")) > 0, 3000), "the masqueraded SYN arrived");
    assert.equal(await packets("private"), 0, "no packet with the workload's private source reached the outside");
    assert.ok(await eventually(async () => (await drops("CT_INVALID", since)).length > 0, 5000), "the drop shows in flows as CT_INVALID");
    // Input: a stray RST to the gateway is dropped by our input chain (its drop chain counts it).
    const counted = async () => Number(/packets (\d+)/.exec((await h.inHost("nft", ["list", "chain", "inet", "ponton", "drop_invalid"])).stdout)?.[1] ?? "0");
    const beforeInput = await counted();
    await h.inWorkload("o1", "python3", ["-c", STRAY_TCP, o1, "172.31.1.1", "9999", String(RST_ACK)]);
    assert.ok(await eventually(async () => (await counted()) >= beforeInput + 3, 3000), "three stray RSTs to the gateway dropped");
    await h.inOutside("nft", ["delete", "table", "inet", "probe"]);
  });

  test("--no-host-access: no host service, but DNS on the gateway and published ports (hairpin) still work", async () => {
    assert.equal(await fromWorkload("o1", "172.31.1.1", 9999), "host", "a normal network reaches the host service");
    assert.equal(await fromWorkload("c1", "172.31.2.1", 9999), "", "through its own gateway");
    assert.equal(await fromWorkload("c1", UPLINK_HOST, 9999), "", "through another host address");
    assert.equal(await fromWorkload("c1", "172.31.2.1", 8080), "published", "a published port through its gateway");
    assert.equal(await fromWorkload("c1", UPLINK_HOST, 8080), "published", "a published port through the host address");
    // Names are visible on their own network only: the workload's own name answers from the gateway.
    const dig = await h.inWorkload("c1", "dig", ["+time=2", "+tries=1", "+short", "c1.ponton.internal"]);
    assert.equal(dig.stdout.trim(), "172.31.2.2");
    const tcpDig = await h.inWorkload("c1", "dig", ["+tcp", "+time=2", "+tries=1", "+short", "c1.ponton.internal"]);
    assert.equal(tcpDig.stdout.trim(), "172.31.2.2");
    // IPv6: neighbour discovery with the gateway (untracked) and DNS on its IPv6 address still pass.
    const dig6 = await h.inWorkload("c1", "dig", ["@fd00:31:2::1", "+time=2", "+tries=1", "+short", "c1.ponton.internal", "AAAA"]);
    assert.equal(dig6.stdout.trim(), "fd00:31:2::2");
    assert.equal(await fromWorkload("o1", "[fd00:31:1::1]", 9999), "host", "IPv6 from a normal network");
    assert.equal(await fromWorkload("c1", "[fd00:31:2::1]", 9999), "", "the host service over IPv6");
    const since = new Date(Date.now() - 60_000);
    assert.ok(await eventually(async () => (await drops("NO_HOST_ACCESS", since)).length > 0, 5000));
    const closed = JSON.parse(await h.pontonOk("network", "inspect", "closed")) as { hostAccess: boolean }[];
    const open = JSON.parse(await h.pontonOk("network", "inspect", "open")) as { hostAccess: boolean }[];
    assert.equal(closed[0]!.hostAccess, false);
    assert.equal(open[0]!.hostAccess, true);
  });

  test("--internal: no host service and no published port through its gateway, DNS still; --host-access opens the host", async () => {
    assert.equal(await fromWorkload("i1", "172.31.3.1", 8080), "", "another network's published port through the gateway");
    assert.equal(await fromWorkload("i1", "172.31.3.1", 9999), "", "host service");
    const dig = await h.inWorkload("i1", "dig", ["+time=2", "+tries=1", "+short", "i1.ponton.internal"]);
    assert.equal(dig.stdout.trim(), "172.31.3.2");
    const iso = JSON.parse(await h.pontonOk("network", "inspect", "iso")) as { hostAccess: boolean }[];
    assert.equal(iso[0]!.hostAccess, false);
    assert.equal(await fromWorkload("ih1", "172.31.4.1", 9999), "host", "internal --host-access reaches the host service");
    assert.equal(await fromWorkload("ih1", "172.31.4.1", 8080), "", "but still no published port of another network");
  });

  test("another table's input drop: DNS fails (documented), ponton info names that chain; its accept does not undo our drop", async () => {
    await sh("ip", ["netns", "exec", h.hostNs, "nft", "-f", "-"], {
      input: "table inet hostfw {\n chain input { type filter hook input priority filter; policy drop; ct state established,related accept; iifname lo accept; }\n}\n",
    });
    const info = JSON.parse(await h.pontonOk("info")) as { firewall: { inputDropChains: { table: string; chain: string }[]; forwardOthers: string } };
    assert.deepEqual(info.firewall.inputDropChains.map((c) => `${c.table} ${c.chain}`), ["inet hostfw input"]);
    assert.equal(info.firewall.forwardOthers, "drop");
    const query = () => h.inWorkload("c1", "dig", ["+time=1", "+tries=1", "+short", "c1.ponton.internal"]).then((r) => r.stdout.trim());
    assert.match(await query(), /timed out/, "nftables: a drop in any base chain is final, our early accept cannot undo it");
    // The fix lies in that table: accepting the bridges there brings DNS back…
    await h.inHost("nft", ["add", "rule", "inet", "hostfw", "input", "iifname", "pbr-*", "accept"]);
    assert.equal(await query(), "172.31.2.2");
    // …and our own drop (a --no-host-access network) still wins over that accept.
    assert.equal(await fromWorkload("c1", "172.31.2.1", 9999), "");
    await h.inHost("nft", ["delete", "table", "inet", "hostfw"]);
  });

  test("--forward-others accept: foreign traffic is forwarded again; forwarding goes off with the last network, across a restart", async () => {
    await h.stopDaemon();
    h.daemonArgs = ["--forward-others", "accept"];
    await h.startDaemon();
    assert.equal(await leftToRight(), "right");
    const info = JSON.parse(await h.pontonOk("info")) as { firewall: { forwardOthers: string; forwardingTurnedOn: { ipv4: boolean; ipv6: boolean } } };
    assert.equal(info.firewall.forwardOthers, "accept");
    assert.deepEqual(info.firewall.forwardingTurnedOn, { ipv4: true, ipv6: true }, "the test host started with forwarding off: Ponton turned it on");
    for (const w of ["srv", "o1", "c1", "i1", "ih1"]) await h.pontonOk("rm", "-t", "0", w);
    for (const n of ["open", "closed", "iso"]) await h.pontonOk("network", "rm", n);
    assert.equal(await sysctl("net/ipv4/ip_forward"), "1", "one network left");
    assert.equal(await sysctl("net/ipv6/conf/all/forwarding"), "0", "the last IPv6 network is gone");
    await h.pontonOk("network", "rm", "iso-host");
    assert.equal(await sysctl("net/ipv4/ip_forward"), "0", "the last network took forwarding back off");
    // Someone else's forwarding is left alone.
    await h.inHost("sh", ["-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"]);
    await h.pontonOk("network", "create", "again", "--subnet", "172.31.5.0/24");
    await h.pontonOk("network", "rm", "again");
    assert.equal(await sysctl("net/ipv4/ip_forward"), "1");
  });
});
