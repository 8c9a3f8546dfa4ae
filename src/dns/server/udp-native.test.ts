// The native fast path on loopback, below DnsServer: what its listener thread answers itself,
// what it hands to JS, and that nothing it receives can stop it.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as dgram from "node:dgram";
import { after, before, beforeEach, test } from "node:test";
import * as dnsPacket from "dns-packet";
import { HotAnswers } from "../resolve/hot-answers";
import { query, type Target, udpRaw } from "../testing/dns-client";
import type { UdpEndpoint } from "./udp-endpoint";
import { nativeUdp } from "./udp-native";

interface Miss {
  msg: Buffer;
  address: string;
  peer: Buffer;
}

let hot: HotAnswers;
let endpoint: UdpEndpoint;
let at: Target;
let misses: Miss[];

/** What JS answers on a miss: a marker address, so a test can tell who answered. */
const FROM_JS = "192.0.2.99";

function answer(q: Buffer, address: string, flags = 0): Buffer {
  const p = dnsPacket.decode(q);
  return dnsPacket.encode({ type: "response", id: p.id, flags: dnsPacket.AUTHORITATIVE_ANSWER | flags, questions: p.questions, answers: [{ type: "A", name: p.questions![0].name, ttl: 30, data: address }] });
}

const key = (q: Buffer) => q.toString("latin1", 4);
const dataOf = (reply: Buffer) => (dnsPacket.decode(reply).answers![0] as { data: string }).data;

before(async () => {
  hot = new HotAnswers(16, true);
  endpoint = await nativeUdp(hot.nativeTable!)("127.0.0.1", 0, (msg, address, reply, peer) => {
    misses.push({ msg, address, peer: peer! });
    try {
      if (!(msg[2] & 0x80)) reply(answer(msg, FROM_JS));
    } catch {
      // garbage: no answer
    }
  });
  at = { address: "127.0.0.1", port: endpoint.port };
});

beforeEach(() => {
  hot.dropView("v");
  misses = [];
});

after(() => endpoint.close());

/** Teaches the table: client 127.0.0.1 sees view v, where this question is answered with `address`. */
async function learn(q: Buffer, address: string, flags = 0): Promise<void> {
  const [reply] = await udpRaw(at, [q]);
  assert.equal(dataOf(reply), FROM_JS);
  hot.bindClient(misses.at(-1)!.peer, "v");
  hot.remember("v", key(q), answer(q, address, flags), [dnsPacket.decode(q).questions![0].name]);
  misses = [];
}

test("a miss reaches JS with the datagram and the sender's address; JS replies through the socket", async () => {
  const q = dnsPacket.encode(query("web.cluster.local", "A"));
  const [reply] = await udpRaw(at, [q]);
  assert.equal(dataOf(reply), FROM_JS);
  assert.equal(misses.length, 1);
  assert.deepEqual(misses[0].msg, q);
  assert.equal(misses[0].address, "127.0.0.1");
});

test("a remembered answer is sent by the listener thread with the query's id, RD and CD", async () => {
  const q = dnsPacket.encode(query("web.cluster.local", "A", { flags: 0 }));
  await learn(q, "10.88.0.3");
  const hitsBefore = hot.nativeCounters().hits;
  const again = Buffer.from(q);
  again.writeUInt16BE(0xbeef, 0);
  again[2] |= 0x01; // RD
  again[3] |= 0x10; // CD
  const [reply] = await udpRaw(at, [again]);
  assert.deepEqual(misses, [], "answered without JS");
  assert.equal(hot.nativeCounters().hits, hitsBefore + 1);
  const r = dnsPacket.decode(reply);
  assert.equal(r.id, 0xbeef);
  assert.equal(dataOf(reply), "10.88.0.3");
  assert.equal(r.flags! & (dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED), dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED);
  // Everything but id, RD and CD is the stored answer, byte for byte.
  const stored = answer(q, "10.88.0.3");
  assert.deepEqual(reply.subarray(4), stored.subarray(4));
  assert.equal(reply[2] & 0xfe, stored[2] & 0xfe);
  assert.equal(reply[3] & 0xef, stored[3] & 0xef);
});

test("the key is every byte after the flags: another question or EDNS goes to JS; another opcode is NOTIMP and a response dropped on the thread", async () => {
  const q = dnsPacket.encode(query("web.cluster.local", "A"));
  await learn(q, "10.88.0.3");
  const aaaa = dnsPacket.encode(query("web.cluster.local", "AAAA"));
  const edns = dnsPacket.encode(query("web.cluster.local", "A", { additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] }));
  const notify = Buffer.from(q);
  notify[2] |= 4 << 3; // opcode NOTIFY
  const response = Buffer.from(q);
  response[2] |= 0x80;
  const before = hot.nativeCounters();
  const replies = await udpRaw(at, [aaaa, edns, notify, response], { expect: 3, timeoutMs: 500 });
  assert.equal(misses.length, 2);
  assert.equal(hot.nativeCounters().dropped, before.dropped + 1);
  assert.equal(hot.nativeCounters().notimp, before.notimp + 1);
  const notimp = replies.find((r) => r.length === 12)!;
  assert.deepEqual([notimp[2] >> 3, notimp[3] & 0x0f], [0x10 | 4, 4], "QR, opcode NOTIFY kept, NOTIMP");
});

test("a view change drops its answers and every client binding at once", async () => {
  const q = dnsPacket.encode(query("web.cluster.local", "A"));
  await learn(q, "10.88.0.3");
  hot.dropView("other"); // any view: viewOf may have changed with it
  const [afterOther] = await udpRaw(at, [q]);
  assert.equal(dataOf(afterOther), FROM_JS);
  hot.bindClient(misses[0].peer, "v");
  const [bound] = await udpRaw(at, [q]);
  assert.equal(dataOf(bound), "10.88.0.3", "the answer survived another view's change");
  hot.dropView("v");
  hot.bindClient(misses[0].peer, "v");
  const [afterOwn] = await udpRaw(at, [q]);
  assert.equal(dataOf(afterOwn), FROM_JS);
});

test("a change to some names drops only the answers built from them, natively too", async () => {
  const web = dnsPacket.encode(query("web.cluster.local", "A"));
  const db = dnsPacket.encode(query("db.cluster.local", "A"));
  await learn(web, "10.88.0.3");
  await learn(db, "10.88.0.4");
  hot.dropNames("v", ["db.cluster.local", "unrelated.cluster.local"]);
  const [webReply, dbReply] = [(await udpRaw(at, [web]))[0], (await udpRaw(at, [db]))[0]];
  assert.equal(dataOf(webReply), "10.88.0.3", "served by the listener thread still");
  assert.equal(dataOf(dbReply), FROM_JS);
  assert.equal(misses.length, 1);
  assert.equal(hot.get("v", key(db)), undefined);
  assert.ok(hot.get("v", key(web)));
});

test("unbinding one client address sends only that client back to JS", async () => {
  const q = dnsPacket.encode(query("web.cluster.local", "A"));
  await learn(q, "10.88.0.3");
  hot.unbindAddress("127.0.0.2");
  hot.unbindAddress("::1");
  assert.equal(dataOf((await udpRaw(at, [q]))[0]), "10.88.0.3");
  hot.unbindAddress("127.0.0.1");
  assert.equal(dataOf((await udpRaw(at, [q]))[0]), FROM_JS);
  assert.equal(misses.length, 1);
});

test("a client bound to another view does not get this view's answers", async () => {
  const q = dnsPacket.encode(query("web.cluster.local", "A"));
  await learn(q, "10.88.0.3");
  const [other] = await udpRaw(at, [q], { from: "127.0.0.2" });
  hot.bindClient(misses[0].peer, "w");
  const [again] = await udpRaw(at, [q], { from: "127.0.0.2" });
  assert.deepEqual([dataOf(other), dataOf(again)], [FROM_JS, FROM_JS]);
  assert.equal(misses.length, 2);
});

test("the per-view bound evicts the oldest answer natively too", async () => {
  const first = dnsPacket.encode(query("n0.cluster.local", "A"));
  await learn(first, "10.88.1.0");
  for (let i = 1; i <= 16; i++) hot.remember("v", key(dnsPacket.encode(query(`n${i}.cluster.local`, "A"))), answer(first, "10.88.1.1"), [`n${i}.cluster.local`]);
  const [reply] = await udpRaw(at, [first]);
  assert.equal(dataOf(reply), FROM_JS);
});

test("garbage of every length goes to JS, is answered from its header or is dropped; the thread keeps answering", async () => {
  const q = dnsPacket.encode(query("web.cluster.local", "A"));
  await learn(q, "10.88.0.3");
  const before = hot.nativeCounters();
  const junk = [Buffer.alloc(0), Buffer.from([1]), randomBytes(11), ...Array.from({ length: 300 }, (_, i) => randomBytes(12 + ((i * 37) % 1500)))];
  await udpRaw(at, junk, { expect: junk.length, timeoutMs: 300 });
  const big = randomBytes(60000);
  await udpRaw(at, [big], { expect: 1, timeoutMs: 300 });
  const [reply] = await udpRaw(at, [q]);
  assert.equal(dataOf(reply), "10.88.0.3");
  const n = hot.nativeCounters();
  const onThread = n.shed + n.formerr + n.notimp + n.refused + n.dropped - (before.shed + before.formerr + before.notimp + before.refused + before.dropped);
  assert.equal(misses.length + onThread, junk.length + 1);
  assert.ok(n.formerr > before.formerr && n.dropped > before.dropped, "random headers are screened on the thread");
});

test("a bad header or a cut question gets a header-only FORMERR from the thread; JS sees none of them", async () => {
  const bomb = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  const cut = Buffer.from([0x12, 0x34, 0x01, 0x10, 0, 1, 0, 0, 0, 0, 0, 0, 0x3f, 0x61, 0x61]);
  const noTypeClass = Buffer.from([0x12, 0x35, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 0, 0, 1]);
  const tooLong = Buffer.concat([Buffer.from([0x12, 0x36, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...Array.from({ length: 5 }, () => Buffer.from([63, ...Buffer.alloc(63, 97)])), Buffer.from([0, 0, 1, 0, 1])]);
  const before = hot.nativeCounters().formerr;
  const replies = await udpRaw(at, [bomb, cut, noTypeClass, tooLong], { expect: 4 });
  assert.equal(replies.length, 4);
  for (const r of replies) {
    assert.equal(r.length, 12);
    assert.equal(r[3] & 0x0f, 1, "FORMERR");
    assert.equal(r[2] & 0x80, 0x80, "QR");
  }
  assert.deepEqual(replies.map((r) => r.readUInt16BE(0)).sort((a, b) => a - b), [0x1234, 0x1235, 0x1236, 0xabcd]);
  assert.equal(hot.nativeCounters().formerr, before + 4);
  assert.deepEqual(misses, []);
  // A question with a compression pointer is JS's to judge.
  const pointer = Buffer.from([0x12, 0x37, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1]);
  await udpRaw(at, [pointer], { expect: 1, timeoutMs: 300 });
  assert.equal(misses.length, 1);
});

test("bind errors carry the errno code and Node's message shape", async () => {
  const taken = await nativeUdp(hot.nativeTable!)("127.0.0.1", at.port, () => undefined).catch((e: NodeJS.ErrnoException) => e);
  assert.ok(taken instanceof Error);
  assert.equal((taken as NodeJS.ErrnoException).code, "EADDRINUSE");
  assert.equal(taken.message, `bind EADDRINUSE 127.0.0.1:${at.port}`);
  const foreign = await nativeUdp(hot.nativeTable!)("192.0.2.1", 0, () => undefined).catch((e: NodeJS.ErrnoException) => e);
  assert.equal((foreign as NodeJS.ErrnoException).code, "EADDRNOTAVAIL");
});

test("close stops the thread and frees the port; late replies are refused, not thrown", async () => {
  let reply: ((r: Buffer) => void) | undefined;
  const ep = await nativeUdp(hot.nativeTable!)("127.0.0.1", 0, (_m, _a, r) => (reply = r));
  const port = ep.port;
  await udpRaw({ address: "127.0.0.1", port }, [dnsPacket.encode(query("x.cluster.local", "A"))], { expect: 1, timeoutMs: 300 });
  assert.ok(reply, "the miss reached JS");
  await ep.close();
  await ep.close();
  assert.doesNotThrow(() => reply!(Buffer.alloc(12)));
  const again = dgram.createSocket("udp4");
  await new Promise<void>((resolve, reject) => {
    again.once("error", reject);
    again.bind({ address: "127.0.0.1", port, exclusive: true }, () => resolve());
  });
  again.close();
});
