import assert from "node:assert/strict";
import { test } from "node:test";
import * as dnsPacket from "dns-packet";
import { compressMessage } from "./compress";

const opt: dnsPacket.Answer = { type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] };

function message(answers: dnsPacket.Answer[], extra: Partial<dnsPacket.Packet> = {}): Buffer {
  return dnsPacket.encode({ type: "response", id: 7, flags: dnsPacket.AUTHORITATIVE_ANSWER, questions: [{ name: "Web.Example.test", type: "A", class: "IN" }], answers, ...extra });
}

const strip = (p: dnsPacket.DecodedPacket) => ({ ...p, flags: (p.flags ?? 0) & ~dnsPacket.TRUNCATED_RESPONSE, flag_tc: false });

test("the same message, decoded, with names compressed (owners, CNAME/PTR/SOA data); SRV targets stay whole", () => {
  const plain = message(
    [
      { type: "CNAME", name: "Web.Example.test", ttl: 5, data: "web.svc.example.test" },
      { type: "A", name: "web.svc.example.test", ttl: 5, data: "10.0.0.1" },
      { type: "PTR", name: "1.0.0.10.in-addr.arpa", ttl: 5, data: "web.svc.example.test" },
      { type: "SRV", name: "_http._tcp.web.svc.example.test", ttl: 5, data: { priority: 1, weight: 2, port: 80, target: "web.svc.example.test" } },
      { type: "TXT", name: "web.svc.example.test", ttl: 5, data: [Buffer.from("hi")] },
    ],
    { authorities: [{ type: "SOA", name: "example.test", ttl: 5, data: { mname: "ns.example.test", rname: "hostmaster.example.test", serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 } }], additionals: [opt] },
  );
  const packed = compressMessage(plain);
  assert.ok(packed.length < plain.length - 60, `${plain.length} -> ${packed.length}`);
  assert.deepEqual(dnsPacket.decode(packed), dnsPacket.decode(plain));
  const srvTarget = Buffer.from("\x03web\x03svc\x07example\x04test\x00", "latin1");
  assert.ok(packed.includes(srvTarget), "the SRV target is written out (RFC 2782)");
});

test("a compressed upstream answer is read through its pointers and written again", () => {
  const plain = message(Array.from({ length: 5 }, (_, i) => ({ type: "A", name: "Web.Example.test", ttl: 5, data: `10.0.0.${i}` })));
  const once = compressMessage(plain);
  assert.deepEqual(compressMessage(once), once);
});

test("too big: the whole records that fit, TC set, the OPT kept; nothing cut mid-record", () => {
  const answers: dnsPacket.Answer[] = Array.from({ length: 100 }, (_, i) => ({ type: "TXT", name: `n${i}.example.test`, ttl: 5, data: [Buffer.alloc(20, 97)] }));
  const plain = message(answers, { additionals: [opt] });
  const cut = compressMessage(plain, 512);
  assert.ok(cut.length <= 512);
  const d = dnsPacket.decode(cut);
  assert.equal(d.flag_tc, true);
  assert.ok(d.answers!.length > 5 && d.answers!.length < 100);
  assert.deepEqual(d.answers, dnsPacket.decode(plain).answers!.slice(0, d.answers!.length));
  assert.deepEqual(d.additionals!.map((a) => a.type), ["OPT"]);
  // Nothing fits: header and question only, still TC.
  const none = dnsPacket.decode(compressMessage(plain, 40));
  assert.deepEqual([none.flag_tc, none.answers!.length, none.questions!.length], [true, 0, 1]);
  assert.deepEqual(strip(dnsPacket.decode(compressMessage(plain, 0xffff))), strip(dnsPacket.decode(plain)));
});

test("a pointer loop or a record past the end throws (the caller answers with a stub)", () => {
  const loop = Buffer.from(message([{ type: "A", name: "x.example.test", ttl: 5, data: "10.0.0.1" }]));
  loop.writeUInt16BE(0xc000 | 12, 12); // the question name points at itself
  assert.throws(() => compressMessage(loop), /pointer/);
  assert.throws(() => compressMessage(message([{ type: "A", name: "x.example.test", ttl: 5, data: "10.0.0.1" }]).subarray(0, 40)), /past/);
});
