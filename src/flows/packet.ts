// Pure: the first bytes of a logged packet (as NFLOG copies them) -> its addresses, ports and flags.
// Only headers are read; a truncated or unknown packet yields what could be read.
import { formatIp } from "../model/ip";

export interface PacketHeaders {
  ipVersion: 4 | 6;
  src: string;
  dst: string;
  /** IANA protocol number of the transport (after IPv6 extension headers). */
  protocol: number;
  sport?: number;
  dport?: number;
  /** TCP flags set, in header order (FIN SYN RST PSH ACK URG ECE CWR). */
  tcpFlags?: string[];
  icmp?: { type: number; code: number };
}

const TCP_FLAGS = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"];
// IPv6 extension headers we step over: hop-by-hop, routing, destination options, AH (length in 4-byte units).
const IPV6_EXTENSIONS = new Set([0, 43, 60, 51]);
const IPV6_FRAGMENT = 44;
const PORTED = new Set([6, 17, 132, 136]);

export const PROTOCOL_NAMES: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 58: "ipv6-icmp", 132: "sctp", 136: "udplite" };

function address(b: Buffer, at: number, family: 4 | 6): string {
  return formatIp(family, BigInt(`0x${b.subarray(at, at + (family === 4 ? 4 : 16)).toString("hex")}`));
}

function transport(b: Buffer, at: number, protocol: number, out: PacketHeaders): PacketHeaders {
  if (PORTED.has(protocol) && b.length >= at + 4) {
    out.sport = b.readUInt16BE(at);
    out.dport = b.readUInt16BE(at + 2);
  }
  if (protocol === 6 && b.length >= at + 14) out.tcpFlags = TCP_FLAGS.filter((_, i) => (b[at + 13]! >> i) & 1);
  if ((protocol === 1 || protocol === 58) && b.length >= at + 2) out.icmp = { type: b[at]!, code: b[at + 1]! };
  return out;
}

export function decodePacket(bytes: Buffer): PacketHeaders | undefined {
  const version = bytes.length > 0 ? bytes[0]! >> 4 : 0;
  if (version === 4 && bytes.length >= 20) {
    const ihl = (bytes[0]! & 15) * 4;
    const protocol = bytes[9]!;
    const out: PacketHeaders = { ipVersion: 4, src: address(bytes, 12, 4), dst: address(bytes, 16, 4), protocol };
    // A non-first fragment has no transport header.
    const fragmentOffset = bytes.readUInt16BE(6) & 0x1fff;
    return fragmentOffset === 0 ? transport(bytes, ihl, protocol, out) : out;
  }
  if (version === 6 && bytes.length >= 40) {
    let next = bytes[6]!;
    let at = 40;
    let firstFragment = true;
    while ((IPV6_EXTENSIONS.has(next) || next === IPV6_FRAGMENT) && bytes.length >= at + 8) {
      const following = bytes[at]!;
      if (next === IPV6_FRAGMENT) {
        firstFragment = (bytes.readUInt16BE(at + 2) & 0xfff8) === 0;
        at += 8;
      } else {
        at += next === 51 ? (bytes[at + 1]! + 2) * 4 : (bytes[at + 1]! + 1) * 8;
      }
      next = following;
    }
    const out: PacketHeaders = { ipVersion: 6, src: address(bytes, 8, 6), dst: address(bytes, 24, 6), protocol: next };
    return firstFragment ? transport(bytes, at, next, out) : out;
  }
  return undefined;
}
