import { test } from "node:test";
import assert from "node:assert/strict";
import { formatAddr, formatRange, parseAddr, parseCidr, cidrLast, rangeToCidrs } from "./cidr";
import { normalize, subtract } from "./intervals";

test("IPv4 and IPv6 parse and format round-trip", () => {
  for (const a of ["0.0.0.0", "10.9.0.17", "255.255.255.255"]) assert.equal(formatAddr(4, parseAddr(a)!.value), a);
  for (const a of ["::", "::1", "fd00:9::1:1", "2001:db8::", "fe80::1:0:0:1", "1:0:0:1::1"]) assert.equal(formatAddr(6, parseAddr(a)!.value), a);
  assert.equal(formatAddr(6, parseAddr("::ffff:10.0.0.1")!.value), "::ffff:a00:1");
  assert.equal(formatAddr(6, parseAddr("2001:0db8:0000:0000:0000:0000:0000:0001")!.value), "2001:db8::1");
  for (const bad of ["1.2.3", "1.2.3.256", "01.2.3.4", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "g::1", "", "1.2.3.4/8"]) assert.equal(parseAddr(bad), null, bad);
});

test("CIDRs: host bits cleared, bad prefixes rejected", () => {
  assert.deepEqual(parseCidr("10.1.2.3/16"), { family: 4, base: parseAddr("10.1.0.0")!.value, prefix: 16 });
  assert.equal(cidrLast(parseCidr("10.1.0.0/16")!), parseAddr("10.1.255.255")!.value);
  assert.equal(parseCidr("10.0.0.0/33"), null);
  assert.equal(parseCidr("fd00::/129"), null);
  assert.equal(parseCidr("10.0.0.0"), null);
  assert.equal(parseCidr("10.0.0.0/08"), null);
  assert.equal(cidrLast(parseCidr("::/0")!), (1n << 128n) - 1n);
});

test("ranges render as address, prefix or a-b", () => {
  const v = (a: string) => parseAddr(a)!.value;
  assert.equal(formatRange(4, v("10.0.0.1"), v("10.0.0.1")), "10.0.0.1");
  assert.equal(formatRange(4, v("10.0.0.0"), v("10.0.0.255")), "10.0.0.0/24");
  assert.equal(formatRange(4, 0n, (1n << 32n) - 1n), "0.0.0.0/0");
  assert.equal(formatRange(4, v("10.0.0.1"), v("10.0.0.2")), "10.0.0.1-10.0.0.2");
  assert.equal(formatRange(6, v("fd00::"), v("fd00::ffff")), "fd00::/112");
  assert.equal(formatRange(6, v("fd00::1"), v("fd00::3")), "fd00::1-fd00::3");
});

test("intervals: normalize merges adjacent, subtract punches holes", () => {
  assert.deepEqual(normalize([{ lo: 5n, hi: 9n }, { lo: 1n, hi: 4n }, { lo: 20n, hi: 30n }, { lo: 25n, hi: 26n }]), [{ lo: 1n, hi: 9n }, { lo: 20n, hi: 30n }]);
  assert.deepEqual(subtract([{ lo: 0n, hi: 100n }], [{ lo: 0n, hi: 9n }, { lo: 50n, hi: 59n }, { lo: 100n, hi: 200n }]), [{ lo: 10n, hi: 49n }, { lo: 60n, hi: 99n }]);
  assert.deepEqual(subtract([{ lo: 0n, hi: 10n }], [{ lo: 0n, hi: 10n }]), []);
});

test("ranges as the fewest CIDR blocks, both families", () => {
  const v = (a: string) => parseAddr(a)!.value;
  assert.deepEqual(rangeToCidrs(4, v("10.0.0.3"), v("10.0.0.3")), ["10.0.0.3/32"]);
  assert.deepEqual(rangeToCidrs(4, 0n, v("255.255.255.255")), ["0.0.0.0/0"]);
  assert.deepEqual(rangeToCidrs(4, v("10.0.0.3"), v("10.0.0.9")), ["10.0.0.3/32", "10.0.0.4/30", "10.0.0.8/31"]);
  assert.deepEqual(rangeToCidrs(4, v("10.0.0.0"), v("10.0.1.255")), ["10.0.0.0/23"]);
  assert.deepEqual(rangeToCidrs(6, v("fd00::2"), v("fd00::3")), ["fd00::2/127"]);
  assert.deepEqual(rangeToCidrs(6, 0n, v("fd00::1")), ["::/1", "8000::/2", "c000::/3", "e000::/4", "f000::/5", "f800::/6", "fc00::/8", "fd00::/127"]);
});
