// Loopback integration: who a listener answers (its networks' prefixes, on both UDP paths and
// TCP), sealed (--internal) listeners that never forward, and per-client TCP limits.
import assert from "node:assert/strict";
import * as net from "node:net";
import { after, before, test } from "node:test";
import * as dnsPacket from "dns-packet";
import { DnsServer } from "./server";
import { query, rcode, tcpQuery, type Target, udpQuery, udpRaw } from "../testing/dns-client";
import { FakeUpstream } from "../testing/fake-upstream";

const INSIDE = "127.0.0.2";
const OUTSIDE = "127.0.0.3";
const INTERNAL = "127.0.0.4";
/** One workload on an internal and another network: two addresses, one view. */
const BOTH_SEALED = "127.0.0.5";
const BOTH_OPEN = "127.0.0.6";

let upstream: FakeUpstream;
const servers: Record<"native" | "node", DnsServer> = {} as never;
const open: Record<"native" | "node", Target> = {} as never;
const sealed: Record<"native" | "node", Target> = {} as never;

before(async () => {
  upstream = await FakeUpstream.start({ address: "127.0.0.31" });
  for (const udp of ["native", "node"] as const) {
    const s = new DnsServer({ udp, viewOf: (ip) => ({ [INSIDE]: "net", "127.0.0.65": "net", [INTERNAL]: "sealed", [BOTH_SEALED]: "both", [BOTH_OPEN]: "both" })[ip], maxTcpConnections: 6, maxTcpPerClient: 2, tcpIdleMs: 300 });
    s.setUpstreams([{ address: upstream.address, port: upstream.port }]);
    s.setView("net", [{ name: "web.cluster.local", type: "A", ttl: 30, data: "10.88.0.3" }]);
    s.setView("sealed", [
      { name: "db.cluster.local", type: "A", ttl: 30, data: "10.99.0.2" },
      { name: "ext.cluster.local", type: "CNAME", ttl: 30, data: "www.example.org" },
    ]);
    s.setView("both", [{ name: "alias.cluster.local", type: "CNAME", ttl: 30, data: "www.example.org" }]);
    servers[udp] = s;
    open[udp] = await s.addListener({ address: "127.0.0.1", port: 0 }, { clients: [`${INSIDE}/32`, "127.0.0.64/26", `${BOTH_OPEN}/32`] });
    sealed[udp] = await s.addListener({ address: "127.0.0.1", port: 0 }, { clients: [`${INTERNAL}/32`, `${BOTH_SEALED}/32`], sealed: true });
  }
});

after(async () => {
  await Promise.all(Object.values(servers).map((s) => s.close()));
  await upstream.close();
});

for (const udp of ["native", "node"] as const) {
  test(`${udp}: a client outside the listener's networks gets REFUSED, never recursion; an inside one is answered`, async () => {
    const s = servers[udp];
    for (let i = 0; i < 3; i++) {
      // Repeated: the native thread must not learn the outsider as a client.
      const [raw] = await udpRaw(open[udp], [dnsPacket.encode(query("www.example.org", "A", { id: 4242 }))], { from: OUTSIDE });
      assert.equal(raw.length, 12, "header only: no amplification");
      const r = dnsPacket.decode(raw);
      assert.deepEqual([r.id, rcode(r), r.answers!.length], [4242, "REFUSED", 0]);
      const local = await udpQuery(open[udp], query("web.cluster.local", "A"), { from: OUTSIDE });
      assert.equal(rcode(local), "REFUSED");
    }
    assert.equal(upstream.count(), 0, "nothing was forwarded for the outsider");
    assert.equal(s.counters().refused, 6);
    const inside = await udpQuery(open[udp], query("web.cluster.local", "A"), { from: INSIDE });
    assert.deepEqual(inside.answers!.map((a) => (a as { data: string }).data), ["10.88.0.3"]);
    const fwd = await udpQuery(open[udp], query(`www-${udp}.example.org`, "A"), { from: "127.0.0.70" });
    assert.equal(rcode(fwd), "NOERROR");
    assert.equal(upstream.count(), 1);
    upstream.seen.length = 0;
  });

  test(`${udp}: TCP from outside is closed without an answer`, async () => {
    await assert.rejects(tcpQuery(open[udp], query("web.cluster.local", "A"), { from: OUTSIDE, timeoutMs: 500 }));
    const inside = await tcpQuery(open[udp], query("web.cluster.local", "A"), { from: INSIDE });
    assert.equal(rcode(inside), "NOERROR");
  });

  test(`${udp}: a sealed (internal) listener answers local names only, even a name another network has cached`, async () => {
    const viaOpen = await udpQuery(open[udp], query("cached.example.org", "A"), { from: INSIDE });
    assert.equal(rcode(viaOpen), "NOERROR");
    const before = upstream.count();
    for (const q of [query("cached.example.org", "A"), query("fresh.example.org", "A")]) {
      const r = await udpQuery(sealed[udp], q, { from: INTERNAL });
      assert.deepEqual([rcode(r), r.answers!.length], ["REFUSED", 0]);
      const t = await tcpQuery(sealed[udp], q, { from: INTERNAL });
      assert.deepEqual([rcode(t), t.answers!.length], ["REFUSED", 0]);
    }
    const db = await udpQuery(sealed[udp], query("db.cluster.local", "A"), { from: INTERNAL });
    assert.deepEqual(db.answers!.map((a) => (a as { data: string }).data), ["10.99.0.2"]);
    const ext = await udpQuery(sealed[udp], query("ext.cluster.local", "A"), { from: INTERNAL });
    assert.deepEqual(ext.answers!.map((a) => a.type), ["CNAME"], "an alias to an outside name is not chased");
    assert.equal(upstream.count(), before, "the sealed listener sent nothing upstream");
    upstream.seen.length = 0;
  });
}

for (const udp of ["native", "node"] as const) {
  test(`${udp}: a view asked on a sealed and an open listener: each answers as it is, the sealed answer is not served to the open side`, async () => {
    const before = upstream.count();
    for (let i = 0; i < 3; i++) {
      // Repeated: the native thread learns the client and would serve a remembered answer.
      const r = await udpQuery(sealed[udp], query("alias.cluster.local", "A"), { from: BOTH_SEALED });
      assert.deepEqual(r.answers!.map((a) => a.type), ["CNAME"], "not chased on the sealed listener");
      const fwd = await udpQuery(sealed[udp], query(`out-${udp}.example.org`, "A"), { from: BOTH_SEALED });
      assert.equal(rcode(fwd), "REFUSED");
    }
    assert.equal(upstream.count(), before, "the sealed side sent nothing upstream");
    for (let i = 0; i < 2; i++) {
      const r = await udpQuery(open[udp], query("alias.cluster.local", "A"), { from: BOTH_OPEN });
      assert.deepEqual(r.answers!.map((a) => a.type), ["CNAME", "A"], "chased on the open listener");
    }
    const fwd = await udpQuery(open[udp], query(`out-${udp}.example.org`, "A"), { from: BOTH_OPEN });
    assert.equal(rcode(fwd), "NOERROR");
    upstream.seen.length = 0;
  });
}

/** Opens a TCP connection from `from`: whether the server kept it open for 150 ms, and when it closed. */
function holds(at: Target, from: string): Promise<{ sock: net.Socket; open: boolean; closed: Promise<number> }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const sock = net.connect({ host: at.address, port: at.port, localAddress: from });
    sock.on("error", () => undefined);
    let isClosed = false;
    const closed = new Promise<number>((done) => sock.on("close", () => done(Date.now() - t0)));
    void closed.then(() => (isClosed = true));
    setTimeout(() => resolve({ sock, open: !isClosed, closed }), 150);
  });
}

test("one client holds at most its share of TCP connections; another client still gets TCP", async () => {
  const conns = await Promise.all(Array.from({ length: 6 }, () => holds(open.node, INSIDE)));
  try {
    assert.equal(conns.filter((c) => c.open).length, 2);
    const other = await tcpQuery(open.node, query("web.cluster.local", "A"), { from: "127.0.0.65" });
    assert.equal(rcode(other), "NOERROR");
  } finally {
    for (const c of conns) c.sock.destroy();
  }
});

test("an idle TCP connection is closed after tcpIdleMs", async () => {
  const { open: first, closed } = await holds(open.node, "127.0.0.66");
  assert.equal(first, true);
  const after = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 3000))]);
  assert.ok(after >= 250, `closed after ${after} ms`);
});
