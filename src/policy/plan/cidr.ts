// Minimal IPv4/IPv6 arithmetic on bigint: enough to turn CIDRs, excepts and workload
// addresses into intervals and to print intervals back the way nft reads them.
// Parsing and printing addresses is the model's (src/model/ip.ts).
import { formatIp, parseIp, type Family } from "../../model/ip";

export type { Family };

export interface Addr {
  family: Family;
  value: bigint;
}

export const FAMILY_BITS: Record<Family, number> = { 4: 32, 6: 128 };

export function maxValue(family: Family): bigint {
  return (1n << BigInt(FAMILY_BITS[family])) - 1n;
}

/**
 * Stricter than the engine's parser in one way, as the API server is: a dotted-quad part with a
 * leading zero ("010") is refused, since other tools read it as octal.
 */
export function parseAddr(text: string): Addr | null {
  if (typeof text !== "string") return null;
  const dotted = text.slice(text.lastIndexOf(":") + 1);
  if (dotted.includes(".") && dotted.split(".").some((p) => /^0\d/.test(p))) return null;
  return parseIp(text) ?? null;
}

export const formatAddr: (family: Family, value: bigint) => string = formatIp;

export interface Cidr {
  family: Family;
  /** Network address: host bits are cleared, as the API server's sloppy parser tolerates them. */
  base: bigint;
  prefix: number;
}

export function parseCidr(text: string): Cidr | null {
  if (typeof text !== "string") return null;
  const slash = text.indexOf("/");
  if (slash < 0) return null;
  const addr = parseAddr(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (!addr || !/^(0|[1-9][0-9]{0,2})$/.test(lenText)) return null;
  const prefix = Number(lenText);
  if (prefix > FAMILY_BITS[addr.family]) return null;
  return { family: addr.family, base: addr.value & prefixMask(addr.family, prefix), prefix };
}

export function prefixMask(family: Family, prefix: number): bigint {
  const bits = BigInt(FAMILY_BITS[family]);
  return maxValue(family) ^ ((1n << (bits - BigInt(prefix))) - 1n);
}

export function cidrLast(c: Cidr): bigint {
  return c.base | (maxValue(c.family) ^ prefixMask(c.family, c.prefix));
}

export function cidrContains(c: Cidr, a: Addr): boolean {
  return c.family === a.family && a.value >= c.base && a.value <= cidrLast(c);
}

/** An address range as nft reads it: a single address, a prefix when aligned, else "a-b". */
export function formatRange(family: Family, lo: bigint, hi: bigint): string {
  if (lo === hi) return formatAddr(family, lo);
  const size = hi - lo + 1n;
  if ((size & (size - 1n)) === 0n && (lo & (size - 1n)) === 0n) {
    let bits = 0;
    for (let s = size; s > 1n; s >>= 1n) bits++;
    return `${formatAddr(family, lo)}/${FAMILY_BITS[family] - bits}`;
  }
  return `${formatAddr(family, lo)}-${formatAddr(family, hi)}`;
}

/** The fewest CIDR blocks covering [lo, hi] (HAProxy's `src` ACLs take blocks, not ranges). */
export function rangeToCidrs(family: Family, lo: bigint, hi: bigint): string[] {
  const bits = FAMILY_BITS[family];
  const out: string[] = [];
  let a = lo;
  while (a <= hi) {
    // Grow the block while it stays aligned on `a` and within [a, hi].
    let size = bits;
    while (size > 0) {
      const block = 1n << BigInt(bits - size + 1);
      if (a % block !== 0n || a + block - 1n > hi) break;
      size--;
    }
    out.push(`${formatAddr(family, a)}/${size}`);
    a += 1n << BigInt(bits - size);
  }
  return out;
}
