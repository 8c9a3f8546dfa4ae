// A workload's forged packets to 127.0.0.0/8 never reach the host's loopback services (route_localnet
// is on for workload interfaces, so only Ponton's drop stands between them), now that the drop sits
// in input and forward instead of a prerouting chain every packet entered: a forged new datagram,
// and a forged "reply" that matches the conntrack entry of a host loopback exchange (a resolver on
// 127.0.0.53 answering 127.0.0.1: without NAT, the reply tuple a spoofer must hit). Bridge and routed
// networks. The frames are written with AF_PACKET so nothing in the workload's stack rewrites them.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TestHost, ping, sleep } from "../harness";

/** Python run in the workload: two IPv4/UDP frames to the gateway's MAC, argv: src, sport, dst, dport, payload (repeated). */
const FORGE = `
import socket, struct, subprocess, json, sys
gw = json.loads(subprocess.check_output(["ip", "-j", "route", "show", "default"]))[0]["gateway"]
mac = json.loads(subprocess.check_output(["ip", "-j", "neigh", "show", gw]))[0]["lladdr"]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
own = s.getsockname()[4]
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
a = sys.argv[1:]
for i in range(0, len(a), 5):
    src, sport, dst, dport, data = a[i], int(a[i+1]), a[i+2], int(a[i+3]), a[i+4].encode()
    udp = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    s.send(bytes.fromhex(mac.replace(":", "")) + own + b"\\x08\\x00" + ip + udp)
`;

/** Python run on the host: a socket on 127.0.0.1:7001 says something to 127.0.0.53:7053 (conntrack entry), then prints what it receives. */
const LISTEN = `
import socket, time
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(("127.0.0.53", 7053))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 7001)); s.settimeout(0.2)
s.sendto(b"query", ("127.0.0.53", 7053))
print("ready", flush=True)
end = time.time() + 4
while time.time() < end:
    try: print(s.recv(100).decode(), flush=True)
    except socket.timeout: pass
`;

/** Python run in a server workload: prints each datagram to port 53 for 4 s. */
const RECEIVE = `
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 53)); s.settimeout(0.2)
print("ready", flush=True)
end = time.time() + 4
while time.time() < end:
    try: print(s.recv(100).decode(), flush=True)
    except socket.timeout: pass
`;

describe("forged packets to 127.0.0.0/8 from a workload", () => {
  let h: TestHost;
  before(async () => {
    h = await new TestHost("fl").setUp();
    await h.pontonOk("network", "create", "fb", "--subnet", "172.31.40.0/24");
    await h.pontonOk("network", "create", "fr", "--driver", "routed", "--subnet", "172.31.41.0/24");
    await h.pontonOk("run", "--name", "wb", "--network", "fb");
    await h.pontonOk("run", "--name", "wr", "--network", "fr");
    await h.pontonOk("run", "--name", "sr", "--network", "fr", "-p", "127.0.0.1:8054:53/udp");
  });
  after(() => h.tearDown());

  const forgedCount = async () => Number(/counter packets (\d+)/.exec((await h.inHost("nft", ["list", "chain", "inet", "ponton", "drop_forged_localhost"])).stdout)?.[1] ?? -1);

  for (const [w, network] of [["wb", "bridge"], ["wr", "routed"]] as const) {
    test(`${network} network: a forged new datagram and a forged reply to a host loopback exchange are dropped, and counted as forged`, async () => {
      const ip = (JSON.parse(await h.pontonOk("inspect", w)) as { networks: { ip4: string }[] }[])[0]!.networks[0]!.ip4;
      const gw = (JSON.parse((await h.inWorkload(w, "ip", ["-j", "route", "show", "default"])).stdout) as { gateway: string }[])[0]!.gateway;
      assert.ok(await ping(h, w, gw), "the gateway answers (its MAC is known)");
      const before = await forgedCount();
      const listening = h.inHost("python3", ["-c", LISTEN], 15_000);
      await sleep(700);
      const forge = await h.inWorkload(w, "python3", ["-c", FORGE, ip, "5555", "127.0.0.1", "7001", "new", "127.0.0.53", "7053", "127.0.0.1", "7001", "reply"]);
      assert.equal(forge.code, 0, forge.stderr);
      const got = (await listening).stdout.split("\n").filter(Boolean);
      assert.deepEqual(got, ["ready"], `the host's 127.0.0.1:7001 received ${JSON.stringify(got)}`);
      assert.equal((await forgedCount()) - before, 2, "both frames reached the host and were dropped as forged");
    });
  }

  // On a bridge network the kernel drops this one itself (before forward): br_netfilter routes the
  // DNATed packet back out of the bridge it came in by, which validates the 127.x source strictly
  // (a martian); main's prerouting drop counted it as forged first. A routed veth reaches forward.
  for (const [w, srv, port, network] of [["wr", "sr", "8054", "routed"]] as const) {
    test(`${network} network: a forged packet of the host's 127.0.0.x connection to a 127.0.0.1-published port (DNATed to the workload) is dropped in forward`, async () => {
      const gw = (JSON.parse((await h.inWorkload(w, "ip", ["-j", "route", "show", "default"])).stdout) as { gateway: string }[])[0]!.gateway;
      assert.ok(await ping(h, w, gw), "the gateway answers (its MAC is known)");
      const before = await forgedCount();
      const receiving = h.inWorkload(srv, "python3", ["-c", RECEIVE], 15_000);
      await sleep(700);
      // The host's own datagram from 127.0.0.2:7100 (127.0.0.1 would be a martian source when forged: it is the host's own address).
      const sent = await h.inHost("python3", ["-c", `import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.2", 7100)); s.sendto(b"host", ("127.0.0.1", ${port}))`]);
      assert.equal(sent.code, 0, sent.stderr);
      await sleep(200);
      // The same 5-tuple from the other workload: conntrack takes it for the host's connection and DNATs it on.
      const forge = await h.inWorkload(w, "python3", ["-c", FORGE, "127.0.0.2", "7100", "127.0.0.1", port, "forged"]);
      assert.equal(forge.code, 0, forge.stderr);
      const got = (await receiving).stdout.split("\n").filter(Boolean);
      assert.deepEqual(got, ["ready", "host"], `the server workload received ${JSON.stringify(got)}`);
      assert.equal((await forgedCount()) - before, 1, "the forged frame reached the host and was dropped as forged");
    });
  }
});
