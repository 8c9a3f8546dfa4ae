// Loopback integration: junk, floods and odd messages never stop the server from answering.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as net from "node:net";
import { networkInterfaces } from "node:os";
import { after, before, test } from "node:test";
import * as dnsPacket from "dns-packet";
import { DnsServer } from "./server";
import { query, rcode, tcpQuery, tcpRaw, type Target, udpQuery, udpRaw } from "../testing/dns-client";

let server: DnsServer;
let at: Target;

before(async () => {
  server = new DnsServer({ viewOf: () => "v", upstreams: [] });
  server.setView("v", [{ name: "web.cluster.local", type: "A", ttl: 30, data: "10.88.0.3" }]);
  at = await server.addListener({ address: "127.0.0.1", port: 0 });
});

after(() => server.close());

async function stillAnswers(): Promise<void> {
  const u = await udpQuery(at, query("web.cluster.local", "A"));
  assert.equal((u.answers![0] as { data: string }).data, "10.88.0.3");
  const t = await tcpQuery(at, query("web.cluster.local", "A"));
  assert.equal((t.answers![0] as { data: string }).data, "10.88.0.3");
}

test("random datagrams and truncated headers: no crash, still answering", async () => {
  const junk = [Buffer.alloc(0), Buffer.from([1]), randomBytes(11), ...Array.from({ length: 200 }, (_, i) => randomBytes(12 + (i % 300)))];
  await udpRaw(at, junk, { expect: junk.length, timeoutMs: 300 });
  await stillAnswers();
  assert.ok(server.counters().dropped >= 3);
});

test("a readable header with a broken body gets FORMERR with the same id", async () => {
  const msg = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x05, 0x61]); // qdcount 1, name cut short
  const [reply] = await udpRaw(at, [msg], { expect: 1 });
  const r = dnsPacket.decode(reply);
  assert.deepEqual([r.id, rcode(r), r.type], [0x1234, "FORMERR", "response"]);
});

test("the header is checked before decoding: bad counts get a header-only FORMERR", async () => {
  const claims = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]); // 4 x 65,535 records, no bytes
  const withAnswer = dnsPacket.encode({ ...query("web.cluster.local", "A"), answers: [{ type: "A", name: "web.cluster.local", ttl: 1, data: "10.0.0.1" }] });
  const withAuthority = dnsPacket.encode({ ...query("web.cluster.local", "A"), authorities: [{ type: "A", name: "web.cluster.local", ttl: 1, data: "10.0.0.1" }] });
  const twoAdditionals = dnsPacket.encode({
    ...query("web.cluster.local", "A"),
    additionals: [
      { type: "A", name: "x.cluster.local", ttl: 1, data: "10.0.0.1" },
      { type: "A", name: "y.cluster.local", ttl: 1, data: "10.0.0.2" },
    ],
  });
  const noQuestion = Buffer.from([0x00, 0x07, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
  const before = server.counters().formerr;
  for (const msg of [claims, withAnswer, withAuthority, twoAdditionals, noQuestion]) {
    const [reply] = await udpRaw(at, [msg], { expect: 1 });
    assert.equal(reply.length, 12, "header only");
    const r = dnsPacket.decode(reply);
    assert.deepEqual([r.id, rcode(r)], [msg.readUInt16BE(0), "FORMERR"]);
    const [overTcp] = await tcpRaw(at, Buffer.concat([Buffer.from([0, msg.length]), msg]));
    assert.equal(rcode(dnsPacket.decode(overTcp)), "FORMERR");
  }
  assert.equal(server.counters().formerr, before + 10);
  const oneOpt = await udpQuery(at, query("web.cluster.local", "A", { additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] }));
  assert.equal(rcode(oneOpt), "NOERROR");
  await stillAnswers();
});

test("two questions is FORMERR; an opcode other than QUERY is NOTIMP", async () => {
  const two = await udpQuery(at, { type: "query", id: 9, questions: [{ name: "web.cluster.local", type: "A" }, { name: "web.cluster.local", type: "AAAA" }] });
  assert.equal(rcode(two), "FORMERR");
  const msg = dnsPacket.encode(query("web.cluster.local", "A"));
  msg[2] |= 5 << 3; // UPDATE
  const [reply] = await udpRaw(at, [msg], { expect: 1 });
  assert.equal(rcode(dnsPacket.decode(reply)), "NOTIMP");
  const axfr = await tcpQuery(at, query("web.cluster.local", "AXFR"));
  assert.equal(rcode(axfr), "NOTIMP");
});

test("a response sent to us is ignored (no reflection loops)", async () => {
  const msg = dnsPacket.encode({ type: "response", id: 77, questions: [{ name: "web.cluster.local", type: "A" }] });
  const before = server.counters().dropped;
  const replies = await udpRaw(at, [msg], { expect: 1, timeoutMs: 300 });
  assert.deepEqual(replies, []);
  assert.equal(server.counters().dropped, before + 1);
});

test("64 KiB of TCP junk, and a connection that stops mid-message, do not disturb other clients", async () => {
  await tcpRaw(at, randomBytes(64 * 1024), { expect: 1000, timeoutMs: 500 });
  const half = net.connect({ host: at.address, port: at.port });
  await new Promise<void>((resolve) => half.on("connect", () => half.write(Buffer.from([0xff, 0xff, 1, 2, 3]), () => resolve())));
  try {
    await stillAnswers();
  } finally {
    half.destroy();
  }
});

test("pipelined TCP queries on one connection are all answered", async () => {
  const msgs = [query("web.cluster.local", "A"), query("web.cluster.local", "AAAA"), query("nope.cluster.local", "A")];
  const replies = (await tcpRaw(at, Buffer.concat(msgs.map((m) => dnsPacket.streamEncode(m))), { expect: 3 })).map((b) => dnsPacket.decode(b));
  assert.deepEqual(replies.map((r) => rcode(r)).sort(), ["NOERROR", "NOERROR", "NXDOMAIN"]);
});

test("listeners come and go at run time", async () => {
  const extra = await server.addListener({ address: "127.0.0.4", port: 0 });
  assert.equal(rcode(await udpQuery(extra, query("web.cluster.local", "A"))), "NOERROR");
  assert.equal(await server.removeListener(extra), true);
  await assert.rejects(tcpQuery(extra, query("web.cluster.local", "A")), /ECONNREFUSED/);
  assert.deepEqual(server.addresses(), [at]);
  await stillAnswers();
});

const hasIPv6Loopback = Object.values(networkInterfaces()).some((l) => l?.some((a) => a.address === "::1"));

test("an IPv6 listener answers over UDP and TCP", { skip: !hasIPv6Loopback && "no ::1 on this host" }, async () => {
  const v6 = await server.addListener({ address: "::1", port: 0 });
  try {
    assert.equal(rcode(await udpQuery(v6, query("web.cluster.local", "A"))), "NOERROR");
    assert.equal(rcode(await tcpQuery(v6, query("web.cluster.local", "A"))), "NOERROR");
  } finally {
    await server.removeListener(v6);
  }
});

test("a flood of distinct names is answered and leaves the server answering", async () => {
  const msgs = Array.from({ length: 3000 }, (_, i) => dnsPacket.encode(query(`r${i}.cluster.local`, "A")));
  const replies = await udpRaw(at, msgs, { expect: msgs.length, timeoutMs: 1500 });
  assert.ok(replies.length > 0);
  assert.ok(replies.every((b) => rcode(dnsPacket.decode(b)) === "NXDOMAIN"));
  await stillAnswers();
});
