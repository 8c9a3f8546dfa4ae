import assert from "node:assert/strict";
import { test } from "node:test";
import * as dnsPacket from "dns-packet";
import { AnswerCache } from "./answer-cache";

function clock() {
  const c = { t: 1_000_000, now: () => c.t };
  return c;
}

const soa = (ttl: number, minimum: number): dnsPacket.Answer => ({
  type: "SOA",
  name: "example",
  ttl,
  data: { mname: "ns.example", rname: "h.example", serial: 1, refresh: 1, retry: 1, expire: 1, minimum },
});

function response(rcode: number, answers: dnsPacket.Answer[], authorities: dnsPacket.Answer[] = [], flags = 0): Buffer {
  return dnsPacket.encode({
    type: "response",
    id: 7,
    flags: flags | rcode,
    questions: [{ name: "www.example", type: "A" }],
    answers,
    authorities,
    additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }],
  });
}

test("cached answers come back with TTLs lowered by the time spent in cache, then expire", () => {
  const c = clock();
  const cache = new AnswerCache({ maxEntries: 10, now: c.now });
  const raw = response(0, [
    { type: "A", name: "www.example", ttl: 60, data: "192.0.2.1" },
    { type: "A", name: "www.example", ttl: 100, data: "192.0.2.2" },
  ]);
  assert.equal(cache.store("k", raw), true);
  c.t += 10_500;
  const hit = cache.get("k")!;
  const p = dnsPacket.decode(hit.response);
  assert.deepEqual(p.answers!.map((a) => (a as { ttl: number }).ttl), [50, 90]);
  assert.equal((p.additionals![0] as dnsPacket.OptAnswer).udpPayloadSize, 1232, "OPT untouched");
  assert.equal(hit.ttlRemaining, 50);
  c.t += 50_000;
  assert.equal(cache.get("k"), undefined, "expired at the smallest answer TTL");
  assert.equal(cache.size, 0);
});

test("a hit is a private copy: patching it does not change the cache", () => {
  const cache = new AnswerCache({ maxEntries: 10, now: clock().now });
  cache.store("k", response(0, [{ type: "A", name: "www.example", ttl: 60, data: "192.0.2.1" }]));
  cache.get("k")!.response.writeUInt16BE(0xbeef, 0);
  assert.equal(cache.get("k")!.response.readUInt16BE(0), 7);
});

test("negative answers live for min(SOA TTL, SOA minimum); without an SOA they are not cached", () => {
  const c = clock();
  const cache = new AnswerCache({ maxEntries: 10, now: c.now });
  assert.equal(cache.store("nx", response(3, [], [soa(300, 30)])), true);
  assert.equal(cache.store("nodata", response(0, [], [soa(20, 600)])), true);
  assert.equal(cache.store("nx-nosoa", response(3, [])), false);
  c.t += 19_000;
  assert.equal(cache.get("nodata")?.rcode, 0);
  c.t += 2_000;
  assert.equal(cache.get("nodata"), undefined);
  assert.equal(cache.get("nx")?.rcode, 3);
  c.t += 10_000;
  assert.equal(cache.get("nx"), undefined);
});

test("SERVFAIL, truncated and zero-TTL answers are never cached", () => {
  const cache = new AnswerCache({ maxEntries: 10, now: clock().now });
  assert.equal(cache.store("a", response(2, [])), false);
  assert.equal(cache.store("b", response(0, [{ type: "A", name: "www.example", ttl: 60, data: "192.0.2.1" }], [], dnsPacket.TRUNCATED_RESPONSE)), false);
  assert.equal(cache.store("c", response(0, [{ type: "A", name: "www.example", ttl: 0, data: "192.0.2.1" }])), false);
  assert.equal(cache.store("d", Buffer.from("garbage that is not dns")), false);
});

test("TTL is capped by maxTtl and the cache evicts the least recently used entry", () => {
  const c = clock();
  const cache = new AnswerCache({ maxEntries: 2, now: c.now, maxTtl: 100 });
  const r = response(0, [{ type: "A", name: "www.example", ttl: 86400, data: "192.0.2.1" }]);
  cache.store("a", r);
  cache.store("b", r);
  cache.get("a");
  cache.store("c", r);
  assert.equal(cache.peek("b"), undefined, "b was least recently used");
  assert.ok(cache.peek("a") && cache.peek("c"));
  c.t += 101_000;
  assert.equal(cache.get("a"), undefined);
});
