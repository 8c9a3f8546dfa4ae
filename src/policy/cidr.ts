// Minimal IPv4/IPv6 arithmetic on bigint: enough to turn CIDRs, excepts and workload
// addresses into intervals and to print intervals back the way nft reads them.

export type Family = 4 | 6;

export interface Addr {
  family: Family;
  value: bigint;
}

export const FAMILY_BITS: Record<Family, number> = { 4: 32, 6: 128 };

export function maxValue(family: Family): bigint {
  return (1n << BigInt(FAMILY_BITS[family])) - 1n;
}

function parseV4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null; // no leading zeros: they read as octal elsewhere
    const n = Number(p);
    if (n > 255) return null;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(text: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return null;
  let head = text;
  let tailV4: bigint | null = null;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    tailV4 = parseV4(text.slice(lastColon + 1));
    if (tailV4 === null) return null;
    head = text.slice(0, lastColon + 1) + "0:0"; // placeholder groups, replaced below
  }
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string): string[] | null => {
    if (s === "") return [];
    const g = s.split(":");
    return g.every((x) => /^[0-9a-fA-F]{1,4}$/.test(x)) ? g : null;
  };
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  if (left === null || right === null) return null;
  let all: string[];
  if (halves.length === 2) {
    const fill = 8 - left.length - right.length;
    if (fill < 1) return null;
    all = [...left, ...Array<string>(fill).fill("0"), ...right];
  } else {
    all = left;
  }
  if (all.length !== 8) return null;
  let v = 0n;
  for (const g of all) v = (v << 16n) | BigInt(parseInt(g, 16));
  if (tailV4 !== null) v = (v & ~0xffffffffn) | tailV4;
  return v;
}

export function parseAddr(text: string): Addr | null {
  if (typeof text !== "string") return null;
  if (text.includes(":")) {
    const v = parseV6(text);
    return v === null ? null : { family: 6, value: v };
  }
  const v = parseV4(text);
  return v === null ? null : { family: 4, value: v };
}

export function formatAddr(family: Family, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join(".");
  }
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952: compress the longest run (length >= 2) of zero groups, the first one on ties.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

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
