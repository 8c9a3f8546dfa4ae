import { test } from "node:test";
import assert from "node:assert/strict";
import { parseIp, formatIp, parseCidr, formatCidr, cidrsOverlap, cidrContainsText, canonicalIp, cidrSize } from "./ip";

test("IPv4 round trip and rejects out-of-range octets", () => {
  const ip = parseIp("172.20.0.10")!;
  assert.equal(ip.family, 4);
  assert.equal(formatIp(4, ip.value), "172.20.0.10");
  assert.equal(parseIp("256.1.1.1"), undefined);
  assert.equal(parseIp("1.2.3"), undefined);
});

test("IPv6 parsing and RFC 5952 formatting", () => {
  assert.equal(canonicalIp("FD00:0:0:0:0:0:0:1"), "fd00::1");
  assert.equal(canonicalIp("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
  assert.equal(canonicalIp("::"), "::");
  assert.equal(canonicalIp("::ffff:10.0.0.1"), "::ffff:a00:1");
  assert.equal(parseIp("1::2::3"), undefined);
  assert.equal(parseIp("1:2:3:4:5:6:7"), undefined);
});

test("CIDR parsing insists on a network address and suggests one", () => {
  assert.equal(formatCidr(parseCidr("172.20.0.0/16")), "172.20.0.0/16");
  assert.equal(formatCidr(parseCidr("fd00:1::/64")), "fd00:1::/64");
  assert.throws(() => parseCidr("172.20.0.1/16"), /host bits are set/);
  assert.throws(() => parseCidr("172.20.0.0/33"), /invalid subnet/);
  assert.throws(() => parseCidr("banana"), (e: { code?: string }) => e.code === "INVALID_CIDR");
  assert.equal(cidrSize(parseCidr("10.0.0.0/24")), 256n);
});

test("overlap and containment", () => {
  assert.ok(cidrsOverlap(parseCidr("10.0.0.0/8"), parseCidr("10.1.0.0/16")));
  assert.ok(!cidrsOverlap(parseCidr("10.0.0.0/25"), parseCidr("10.0.0.128/25")));
  assert.ok(!cidrsOverlap(parseCidr("10.0.0.0/8"), parseCidr("fd00::/8")));
  assert.ok(cidrContainsText(parseCidr("10.0.0.128/25"), "10.0.0.200"));
  assert.ok(!cidrContainsText(parseCidr("10.0.0.128/25"), "10.0.0.1"));
});
