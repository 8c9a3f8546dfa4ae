// Loopback integration: local views over real UDP/TCP sockets. The client's source address
// (127.0.0.2 vs 127.0.0.3) selects its view.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as dnsPacket from "dns-packet";
import type { DnsRecord } from "../resolve/records";
import { reverseName } from "../wire/reverse-name";
import { DnsServer } from "./server";
import { query, rcode, tcpQuery, type Target, udpQuery, udpRaw } from "../testing/dns-client";

const NET_A = "127.0.0.2";
const NET_B = "127.0.0.3";
let server: DnsServer;
let at: Target;

const recordsA: DnsRecord[] = [
  { name: "web.net-a.cluster.local", type: "A", ttl: 30, data: "10.88.0.3" },
  { name: "web.net-a.cluster.local", type: "AAAA", ttl: 30, data: "fd00::3" },
  { name: "api.net-a.cluster.local", type: "A", ttl: 30, data: "10.88.0.4" },
  { name: "api.net-a.cluster.local", type: "A", ttl: 30, data: "10.88.0.5" },
  { name: "api.net-a.cluster.local", type: "A", ttl: 30, data: "10.88.0.6" },
  { name: "www.net-a.cluster.local", type: "CNAME", ttl: 30, data: "web.net-a.cluster.local" },
  { name: "_http._tcp.api.net-a.cluster.local", type: "SRV", ttl: 30, data: { priority: 10, weight: 5, port: 8080, target: "api.net-a.cluster.local" } },
  { name: reverseName("10.88.0.3"), type: "PTR", ttl: 30, data: "web.net-a.cluster.local" },
  { name: "web", type: "A", ttl: 30, data: "10.88.0.3" },
  { name: "note.net-a.cluster.local", type: "TXT", ttl: 30, data: "hello" },
  ...Array.from({ length: 60 }, (_, i): DnsRecord => ({ name: "many.net-a.cluster.local", type: "A", ttl: 30, data: `10.89.0.${i + 1}` })),
  // A headless service with 11 endpoints: 563 bytes with every name written out, 247 compressed.
  ...Array.from({ length: 11 }, (_, i): DnsRecord => ({ name: "backend-api.production.svc.cluster.local", type: "A", ttl: 5, data: `10.90.0.${i + 1}` })),
];

before(async () => {
  server = new DnsServer({ viewOf: (ip) => ({ [NET_A]: "net-a", [NET_B]: "net-b" })[ip], upstreams: [] });
  server.setView("net-a", recordsA);
  server.setView("net-b", [{ name: "db.net-b.cluster.local", type: "A", ttl: 30, data: "10.99.0.2" }]);
  at = await server.addListener({ address: "127.0.0.1", port: 0 });
});

after(() => server.close());

const data = (p: dnsPacket.DecodedPacket) => p.answers!.map((a) => (a as { data: unknown }).data);

test("A and AAAA from the client's view, authoritative", async () => {
  const a = await udpQuery(at, query("web.net-a.cluster.local", "A"), { from: NET_A });
  assert.equal(rcode(a), "NOERROR");
  assert.equal(a.flag_aa, true);
  assert.deepEqual(data(a), ["10.88.0.3"]);
  const aaaa = await udpQuery(at, query("web.net-a.cluster.local", "AAAA"), { from: NET_A });
  assert.deepEqual(data(aaaa), ["fd00::3"]);
});

test("every A record of a headless name is returned together", async () => {
  const r = await udpQuery(at, query("api.net-a.cluster.local", "A"), { from: NET_A });
  assert.deepEqual(data(r), ["10.88.0.4", "10.88.0.5", "10.88.0.6"]);
});

test("PTR, SRV and TXT records", async () => {
  const ptr = await udpQuery(at, query("3.0.88.10.in-addr.arpa", "PTR"), { from: NET_A });
  assert.deepEqual(data(ptr), ["web.net-a.cluster.local"]);
  const srv = await udpQuery(at, query("_http._tcp.api.net-a.cluster.local", "SRV"), { from: NET_A });
  assert.deepEqual(data(srv), [{ priority: 10, weight: 5, port: 8080, target: "api.net-a.cluster.local" }]);
  const txt = await udpQuery(at, query("note.net-a.cluster.local", "TXT"), { from: NET_A });
  assert.deepEqual(data(txt).map((d) => String(d)), ["hello"]);
});

test("a CNAME to a local name is chased in the same answer", async () => {
  const r = await udpQuery(at, query("www.net-a.cluster.local", "A"), { from: NET_A });
  assert.deepEqual(r.answers!.map((a) => [a.name, a.type]), [["www.net-a.cluster.local", "CNAME"], ["web.net-a.cluster.local", "A"]]);
});

test("a name of another network is NXDOMAIN with an SOA; a missing type is NODATA", async () => {
  const nx = await udpQuery(at, query("web.net-a.cluster.local", "A"), { from: NET_B });
  assert.equal(rcode(nx), "NXDOMAIN");
  assert.equal(nx.flag_aa, true);
  assert.deepEqual(nx.authorities!.map((a) => [a.type, a.name]), [["SOA", "cluster.local"]]);
  const own = await udpQuery(at, query("db.net-b.cluster.local", "A"), { from: NET_B });
  assert.deepEqual(data(own), ["10.99.0.2"]);
  const nodata = await udpQuery(at, query("web.net-a.cluster.local", "MX"), { from: NET_A });
  assert.deepEqual([rcode(nodata), nodata.answers!.length, nodata.authorities![0].type], ["NOERROR", 0, "SOA"]);
});

test("single-label names are answered locally when the view holds them, else forwarded (SERVFAIL: no upstream here)", async () => {
  assert.deepEqual(data(await udpQuery(at, query("web", "A"), { from: NET_A })), ["10.88.0.3"]);
  assert.equal(rcode(await udpQuery(at, query("web", "A"), { from: NET_B })), "SERVFAIL");
});

test("the same question over TCP", async () => {
  const r = await tcpQuery(at, query("web.net-a.cluster.local", "A"), { from: NET_A });
  assert.deepEqual(data(r), ["10.88.0.3"]);
});

test("a replaced view is visible to the next query (the encoded-answer cache is dropped)", async () => {
  const q = query("db.net-b.cluster.local", "A");
  assert.deepEqual(data(await udpQuery(at, q, { from: NET_B })), ["10.99.0.2"]);
  assert.deepEqual(data(await udpQuery(at, q, { from: NET_B })), ["10.99.0.2"]);
  server.setView("net-b", [{ name: "db.net-b.cluster.local", type: "A", ttl: 30, data: "10.99.0.9" }]);
  assert.deepEqual(data(await udpQuery(at, q, { from: NET_B })), ["10.99.0.9"]);
  server.deleteView("net-b");
  assert.equal(rcode(await udpQuery(at, q, { from: NET_B })), "NXDOMAIN");
  server.setView("net-b", [{ name: "db.net-b.cluster.local", type: "A", ttl: 30, data: "10.99.0.2" }]);
});

test("repeated queries keep their own id and RD bit (fast path patches them)", async () => {
  const first = query("web.net-a.cluster.local", "A");
  await udpQuery(at, first, { from: NET_A });
  const again = { ...first, id: 4242, flags: 0 };
  const r = await udpQuery(at, again, { from: NET_A });
  assert.equal(r.id, 4242);
  assert.equal(r.flag_rd, false);
  assert.deepEqual(data(r), ["10.88.0.3"]);
});

test("parallel A and AAAA from one socket are both answered", async () => {
  const qa = query("web.net-a.cluster.local", "A");
  const q6 = query("web.net-a.cluster.local", "AAAA");
  const replies = (await udpRaw(at, [dnsPacket.encode(qa), dnsPacket.encode(q6)], { from: NET_A, expect: 2 })).map((b) => dnsPacket.decode(b));
  assert.equal(replies.length, 2);
  const byId = new Map(replies.map((r) => [r.id, r]));
  assert.deepEqual(data(byId.get(qa.id!)!), ["10.88.0.3"]);
  assert.deepEqual(data(byId.get(q6.id!)!), ["fd00::3"]);
});

test("the client's spelling of the name comes back (0x20) and EDNS with DO is echoed", async () => {
  const q = query("WeB.Net-A.cluster.LOCAL", "A", {
    additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: dnsPacket.DNSSEC_OK, flag_do: true, options: [] }],
  });
  const r = await udpQuery(at, q, { from: NET_A });
  assert.equal(r.questions![0].name, "WeB.Net-A.cluster.LOCAL");
  assert.equal(r.answers![0].name, "WeB.Net-A.cluster.LOCAL");
  const opt = r.additionals!.find((a) => a.type === "OPT") as dnsPacket.OptAnswer;
  assert.equal(opt.flag_do, true);
});

test("local answers are compressed: 11 endpoints fit a plain 512-byte answer, 60 fit EDNS's 1232", async () => {
  const [raw] = await udpRaw(at, [dnsPacket.encode(query("Backend-API.production.svc.cluster.local", "A"))], { from: NET_A });
  const r = dnsPacket.decode(raw);
  assert.equal(r.flag_tc, false);
  assert.equal(r.answers!.length, 11);
  assert.ok(raw.length < 300, `${raw.length} bytes`);
  assert.ok(r.answers!.every((a) => a.name === "Backend-API.production.svc.cluster.local"), "owners point at the client's spelling");
  const opt: dnsPacket.Answer = { type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] };
  const many = await udpQuery(at, query("many.net-a.cluster.local", "A", { additionals: [opt] }), { from: NET_A });
  assert.equal(many.flag_tc, false);
  assert.equal(many.answers!.length, 60);
});

test("an answer too big for UDP keeps the whole records that fit, with TC; TCP gets it whole", async () => {
  const [raw] = await udpRaw(at, [dnsPacket.encode(query("many.net-a.cluster.local", "A"))], { from: NET_A });
  assert.ok(raw.length <= 512, `${raw.length} bytes`);
  const udp = dnsPacket.decode(raw);
  assert.equal(udp.flag_tc, true);
  assert.ok(udp.answers!.length >= 20 && udp.answers!.length < 60, `${udp.answers!.length} records`);
  assert.deepEqual(udp.answers!.map((a) => (a as { data: string }).data), Array.from({ length: udp.answers!.length }, (_, i) => `10.89.0.${i + 1}`));
  const tcp = await tcpQuery(at, query("many.net-a.cluster.local", "A"), { from: NET_A });
  assert.equal(tcp.flag_tc, false);
  assert.equal(tcp.answers!.length, 60);
});
