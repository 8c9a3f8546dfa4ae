import { test } from "node:test";
import assert from "node:assert/strict";
import { elementAttr, setLayout } from "./elements";
import { encodeOps } from "./encode";
import { u32host } from "./message";

// The policy maps (pipapo: a concatenation with ranges) over netlink: each element a start key and
// an end key, every field padded to 32 bits, the decision id (a mark) in host order.
const ALLOW4 = { name: "pol_in_allow_v4", kind: "map" as const, type: "ipv4_addr . ipv4_addr . inet_proto . inet_service : mark", flags: ["interval"] };
const ALLOW6 = { ...ALLOW4, name: "pol_in_allow_v6", type: "ipv6_addr . ipv6_addr . inet_proto . inet_service : mark" };

test("layouts: range concatenations are encodable, single-field intervals and interface ranges are not", () => {
  assert.deepEqual(setLayout(ALLOW4), { key: ["ipv4_addr", "ipv4_addr", "inet_proto", "inet_service"], data: ["u32"], ranges: true });
  assert.equal(setLayout({ name: "subnets4", kind: "set", type: "ipv4_addr", flags: ["interval"] }), undefined);
  assert.equal(setLayout({ name: "same_network_ifs", kind: "set", type: "ifname . ifname", flags: ["interval"] }), undefined);
});

test("an element: start and end keys from a prefix, a range and single values; the id in host order", () => {
  const bytes = elementAttr(setLayout(ALLOW4)!, "10.0.0.2 . 10.0.1.0/24 . 6 . 80-90 : 0x0000abcd", false)!;
  const start = Buffer.from("0a000002" + "0a000100" + "06000000" + "00500000", "hex");
  const end = Buffer.from("0a000002" + "0a0001ff" + "06000000" + "005a0000", "hex");
  assert.ok(bytes.includes(start), "start key");
  assert.ok(bytes.includes(end), "end key");
  assert.ok(bytes.indexOf(start) < bytes.indexOf(end));
  assert.ok(bytes.includes(u32host(0xabcd)), "the mark");
  // A deletion names both keys and no data.
  const del = elementAttr(setLayout(ALLOW4)!, "10.0.0.2 . 10.0.1.0/24 . 6 . 80-90", true)!;
  assert.ok(del.includes(start) && del.includes(end));
  assert.ok(del.length < bytes.length);
});

test("IPv6 prefixes and address ranges; protocol ranges", () => {
  const bytes = elementAttr(setLayout(ALLOW6)!, "fd00::2 . fd00::-fd00::ff . 0-255 . 0-65535 : 0x7fffffff", false)!;
  assert.ok(bytes.includes(Buffer.from("fd000000000000000000000000000002" + "fd000000000000000000000000000000" + "00000000" + "00000000", "hex")));
  assert.ok(bytes.includes(Buffer.from("fd000000000000000000000000000002" + "fd0000000000000000000000000000ff" + "ff000000" + "ffff0000", "hex")));
  assert.ok(elementAttr(setLayout(ALLOW6)!, "fd00::2 . fd00::/120 . 6 . 80 : 0x1", false)!.includes(Buffer.from("fd0000000000000000000000000000ff", "hex")));
});

test("malformed ranges are not encoded (nft would refuse them too)", () => {
  const layout = setLayout(ALLOW4)!;
  assert.equal(elementAttr(layout, "10.0.0.2 . 10.0.1.1/24 . 6 . 80 : 0x1", false), undefined, "host bits set");
  assert.equal(elementAttr(layout, "10.0.0.2 . 10.0.1.0/33 . 6 . 80 : 0x1", false), undefined);
  assert.equal(elementAttr(layout, "10.0.0.2 . 10.0.1.0/24 . 6 . 90-80 : 0x1", false), undefined, "reversed");
  assert.equal(elementAttr(layout, "10.0.0.2 . 10.0.1.0/24 . 6 : 0x1", false), undefined, "a field missing");
  assert.equal(elementAttr(layout, "10.0.0.2 . 10.0.1.0/24 . 6 . 80 : 0x123456789", false), undefined, "id over 32 bits");
});

test("a policy delta of many elements is one batch, split into messages under netlink's 64 KiB attribute", () => {
  const elements = Array.from({ length: 1000 }, (_, i) => `fd00::${(i + 2).toString(16)} . fd00:1::/64 . 6 . 1-1000 : 0x${(i + 1).toString(16)}`);
  const encoded = encodeOps("ponton", [{ op: "addElements", set: ALLOW6, elements }], 1)!;
  assert.ok(encoded);
  assert.ok(encoded.messages >= 4);
});
