import { test } from "node:test";
import assert from "node:assert/strict";
import { decodePacket } from "./packet";

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ""), "hex");

test("IPv4 TCP SYN: addresses, ports, flags", () => {
  // Captured by ponton-nflog: 127.0.0.1:44006 -> 127.0.0.1:81, SYN.
  const p = decodePacket(hex("4500003cbbc94000400680f07f0000017f000001abe60051e72827b300000000a002ffd7fe3000000204ffd70402080a45b15b5f000000000103030a"));
  assert.deepEqual(p, { ipVersion: 4, src: "127.0.0.1", dst: "127.0.0.1", protocol: 6, sport: 44006, dport: 81, tcpFlags: ["SYN"] });
});

test("IPv4 UDP and a later fragment (no transport header)", () => {
  const udp = decodePacket(hex("4500001e724840004011ca847f0000017f000001e0c6270f000afe1d780a"));
  assert.deepEqual(udp, { ipVersion: 4, src: "127.0.0.1", dst: "127.0.0.1", protocol: 17, sport: 57542, dport: 9999 });
  const frag = decodePacket(hex("4500001e72480005 4011ca84 0a000001 0a000002 e0c6270f000afe1d"));
  assert.deepEqual(frag, { ipVersion: 4, src: "10.0.0.1", dst: "10.0.0.2", protocol: 17 });
});

test("IPv6 TCP SYN+ACK behind a hop-by-hop header, compressed addresses", () => {
  const ip6 = "6000000000140040" + "fd000000000000000000000000000001" + "fd0000000000000000000000000000ff";
  const hbh = "0600000000000000"; // next header TCP, length 0 (8 bytes)
  const tcp = "0050c0010000000000000000" + "5012" + "ffff00000000";
  assert.deepEqual(decodePacket(hex(ip6.slice(0, 12) + "00" + ip6.slice(14) + hbh + tcp)), {
    ipVersion: 6, src: "fd00::1", dst: "fd00::ff", protocol: 6, sport: 80, dport: 49153, tcpFlags: ["SYN", "ACK"],
  });
});

test("ICMPv6 echo and ICMP type/code", () => {
  const icmp6 = decodePacket(hex("6000000000083a40" + "fd000000000000000000000000000001" + "fd000000000000000000000000000002" + "8000abcd00010001"));
  assert.deepEqual(icmp6, { ipVersion: 6, src: "fd00::1", dst: "fd00::2", protocol: 58, icmp: { type: 128, code: 0 } });
  const icmp = decodePacket(hex("450000540000400040010000 0a590001 0a590002 0303abcd"));
  assert.deepEqual(icmp?.icmp, { type: 3, code: 3 });
});

test("truncated or non-IP bytes give what can be read, or nothing", () => {
  assert.equal(decodePacket(Buffer.alloc(0)), undefined);
  assert.equal(decodePacket(hex("45000014")), undefined);
  assert.deepEqual(decodePacket(hex("4500002800004000400600000a0000010a000002 1f90")), { ipVersion: 4, src: "10.0.0.1", dst: "10.0.0.2", protocol: 6 });
});
