import assert from "node:assert/strict";
import { test } from "node:test";
import { reverseName } from "./reverse-name";

test("IPv4 reverse name is the octets reversed under in-addr.arpa", () => {
  assert.equal(reverseName("10.232.0.3"), "3.0.232.10.in-addr.arpa");
});

test("IPv6 reverse name is 32 reversed nibbles under ip6.arpa", () => {
  assert.equal(reverseName("2001:db8::567:89ab"), "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
  assert.equal(reverseName("::1"), "1" + ".0".repeat(31) + ".ip6.arpa");
  assert.equal(reverseName("FD00:0:0:1::A"), reverseName("fd00:0000:0000:0001:0000:0000:0000:000a"));
});

test("IPv6 with an embedded IPv4 tail expands the tail to two groups", () => {
  assert.equal(reverseName("::ffff:10.0.0.1"), reverseName("0:0:0:0:0:ffff:a00:1"));
});

test("a non-address is rejected", () => {
  assert.throws(() => reverseName("web"), /not an IP address/);
});
