// PTR owner names: 4.3.2.1.in-addr.arpa for IPv4, reversed nibbles under ip6.arpa for IPv6.
import { isIPv4, isIPv6 } from "node:net";

export function reverseName(ip: string): string {
  if (isIPv4(ip)) return ip.split(".").reverse().join(".") + ".in-addr.arpa";
  if (isIPv6(ip)) return expandIPv6(ip).split("").reverse().join(".") + ".ip6.arpa";
  throw new Error(`reverse name of ${ip}: not an IP address`);
}

/** 32 lowercase hex digits, no colons (handles :: and an embedded dotted IPv4 tail). */
function expandIPv6(ip: string): string {
  let s = ip.toLowerCase().split("%")[0];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const b = v4[1].split(".").map(Number);
    s = s.slice(0, -v4[1].length) + ((b[0] << 8) | b[1]).toString(16) + ":" + ((b[2] << 8) | b[3]).toString(16);
  }
  const [head, tail] = s.includes("::") ? s.split("::") : [s, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.map((g) => g.padStart(4, "0")).join("");
}
