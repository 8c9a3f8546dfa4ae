// Loopback integration: forwarding to fake upstreams we start on 127.0.0.2x (never a real resolver).
import assert from "node:assert/strict";
import { test } from "node:test";
import * as dnsPacket from "dns-packet";
import { DnsServer, type DnsServerOptions } from "./server";
import { query, rcode, tcpQuery, type Target, udpQuery } from "../testing/dns-client";
import { FakeUpstream, type FakeUpstreamOptions } from "../testing/fake-upstream";

async function withServer(
  upstreams: FakeUpstreamOptions[],
  fn: (s: DnsServer, at: Target, ups: FakeUpstream[]) => Promise<void>,
  opts: Partial<DnsServerOptions> = {},
): Promise<void> {
  const ups: FakeUpstream[] = [];
  const server = new DnsServer({ viewOf: () => "v", ...opts });
  try {
    for (const u of upstreams) ups.push(await FakeUpstream.start(u));
    server.setUpstreams([...ups.map((u) => ({ address: u.address, port: u.port })), ...(opts.upstreams ?? [])]);
    server.setView("v", [{ name: "web.cluster.local", type: "A", ttl: 30, data: "10.88.0.3" }]);
    const at = await server.addListener({ address: "127.0.0.1", port: 0 });
    await fn(server, at, ups);
  } finally {
    await server.close();
    for (const u of ups) await u.close();
  }
}

const data = (p: dnsPacket.DecodedPacket) => p.answers!.map((a) => (a as { data: unknown }).data);

test("forwarded answers are cached: the second identical query does not reach the upstream", async () => {
  await withServer([{ address: "127.0.0.21" }], async (s, at, [up]) => {
    const first = await udpQuery(at, query("www.example.org", "A"));
    assert.deepEqual(data(first), ["192.0.2.10"]);
    assert.equal(first.flag_aa, false);
    const second = await udpQuery(at, query("WWW.example.org", "A"));
    assert.deepEqual(data(second), ["192.0.2.10"]);
    assert.equal(second.questions![0].name, "WWW.example.org", "client spelling restored");
    assert.equal(up.count(), 1);
    assert.equal(s.counters().cacheHits, 1);
    assert.equal(s.explain("www.example.org", "A", "127.0.0.1").cached?.rcode, "NOERROR");
  });
});

test("NXDOMAIN from upstream is passed through and cached negatively", async () => {
  await withServer([{ address: "127.0.0.21" }], async (_s, at, [up]) => {
    const r = await udpQuery(at, query("nx.example.org", "A"));
    assert.equal(rcode(r), "NXDOMAIN");
    assert.equal(rcode(await udpQuery(at, query("nx.example.org", "A"))), "NXDOMAIN");
    assert.equal(up.count(), 1);
  });
});

test("the upstream's rcode is relayed (REFUSED), and it is not cached", async () => {
  await withServer([{ address: "127.0.0.21", answer: () => ({ rcode: 5 }) }], async (_s, at, [up]) => {
    assert.equal(rcode(await udpQuery(at, query("www.example.org", "A"))), "REFUSED");
    assert.equal(rcode(await udpQuery(at, query("www.example.org", "A"))), "REFUSED");
    assert.equal(up.count(), 2);
  });
});

test("local zones never go upstream, even when the name is missing", async () => {
  await withServer([{ address: "127.0.0.21" }], async (_s, at, [up]) => {
    assert.equal(rcode(await udpQuery(at, query("missing.cluster.local", "A"))), "NXDOMAIN");
    assert.deepEqual(data(await udpQuery(at, query("web.cluster.local", "A"))), ["10.88.0.3"]);
    assert.equal(up.count(), 0);
  });
});

test("a single label the view does not hold goes upstream, and the upstream's rcode comes back", async () => {
  await withServer([{ address: "127.0.0.21", answer: () => ({ rcode: 5 }) }], async (_s, at, [up]) => {
    assert.equal(rcode(await udpQuery(at, query("printer", "A"))), "REFUSED");
    assert.equal(up.count(), 1);
  });
});

test("identical queries in flight are sent upstream once", async () => {
  await withServer([{ address: "127.0.0.21", delayMs: 300 }], async (s, at, [up]) => {
    const replies = await Promise.all(Array.from({ length: 5 }, () => udpQuery(at, query("slow.example.org", "A"))));
    assert.ok(replies.every((r) => data(r)[0] === "192.0.2.10"));
    assert.equal(up.count(), 1);
    assert.equal(s.counters().deduplicated, 4);
  });
});

test("a truncated UDP answer is fetched again over TCP", async () => {
  await withServer([{ address: "127.0.0.21", truncateUdp: true }], async (_s, at, [up]) => {
    const r = await udpQuery(at, query("big.example.org", "A"));
    assert.equal(r.flag_tc, false);
    assert.deepEqual(data(r), ["192.0.2.10"]);
    assert.deepEqual([up.count("udp"), up.count("tcp")], [1, 1]);
  });
});

test("TCP clients are forwarded over TCP", async () => {
  await withServer([{ address: "127.0.0.21" }], async (_s, at, [up]) => {
    assert.deepEqual(data(await tcpQuery(at, query("tcp.example.org", "A"))), ["192.0.2.10"]);
    assert.deepEqual([up.count("udp"), up.count("tcp")], [0, 1]);
  });
});

test("the client's EDNS and DO bit are kept upstream; without EDNS none is added", async () => {
  await withServer([{ address: "127.0.0.21" }], async (_s, at, [up]) => {
    const opt: dnsPacket.Answer = { type: "OPT", name: ".", udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: dnsPacket.DNSSEC_OK, flag_do: true, options: [] };
    const r = await udpQuery(at, query("signed.example.org", "A", { additionals: [opt] }));
    assert.equal((r.additionals!.find((a) => a.type === "OPT") as dnsPacket.OptAnswer).flag_do, true);
    await udpQuery(at, query("plain.example.org", "A"));
    assert.deepEqual(up.seen.map((q) => [q.name, q.edns, q.dnssecOk]), [["signed.example.org", true, true], ["plain.example.org", false, false]]);
  });
});

test("a silent upstream is skipped for the next one", async () => {
  await withServer([{ address: "127.0.0.21", silent: true }, { address: "127.0.0.22" }], async (s, at, [dead, live]) => {
    assert.deepEqual(data(await udpQuery(at, query("a.example.org", "A"))), ["192.0.2.10"]);
    assert.deepEqual([dead.count(), live.count()], [1, 1]);
    assert.equal(s.upstreamHealth()[0].up, false);
    // Marked down: the next query goes straight to the live server.
    await udpQuery(at, query("b.example.org", "A"));
    assert.deepEqual([dead.count(), live.count()], [1, 2]);
  }, { attemptTimeoutMs: 200, timeoutMs: 1000 });
});

test("every upstream down: SERVFAIL within the budget, and the server keeps answering", async () => {
  // A port with nothing behind it (ICMP refused) and a server that never answers.
  await withServer([{ address: "127.0.0.23", silent: true }], async (s, at) => {
    const r = await udpQuery(at, query("down.example.org", "A"), { timeoutMs: 3000 });
    assert.equal(rcode(r), "SERVFAIL");
    const again = await udpQuery(at, query("other.example.org", "A"), { timeoutMs: 3000 });
    assert.equal(rcode(again), "SERVFAIL");
    assert.deepEqual(data(await udpQuery(at, query("web.cluster.local", "A"))), ["10.88.0.3"]);
    assert.ok(s.counters().servfail >= 2);
    assert.equal(s.explain("x.example.org", "A", "127.0.0.1").summary, "SERVFAIL: every upstream is down");
  }, { upstreams: [{ address: "127.0.0.24", port: 9 }], attemptTimeoutMs: 200, timeoutMs: 500 });
});

test("an upstream that is one of our own listeners is never used", async () => {
  await withServer([], async (s, at) => {
    s.setUpstreams([at]);
    assert.deepEqual(s.effectiveUpstreams(), []);
    assert.equal(rcode(await udpQuery(at, query("loop.example.org", "A"))), "SERVFAIL");
    assert.equal(s.counters().upstreamQueries, 0);
  });
});
