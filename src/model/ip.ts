// IPv4/IPv6 addresses and prefixes as bigints: one code path for both families.
import { EngineError } from "../errors";

export type Family = 4 | 6;

export interface Cidr {
  family: Family;
  /** Network address (host bits zero). */
  network: bigint;
  prefix: number;
}

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

export function bits(family: Family): number {
  return BITS[family];
}

export function parseIp(text: string): { family: Family; value: bigint } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split(".").map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { family: 4, value: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n) };
  }
  if (!text.includes(":") || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    const v4 = parseIp(text.slice(lastColon + 1));
    if (!v4 || v4.family !== 4) return undefined;
    tailV4 = v4.value;
    head = text.slice(0, lastColon + 1) + "0:0";
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - left.length - right.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...right];
  if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  let value = all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | tailV4;
  return { family: 6, value };
}

export function formatIp(family: Family, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => ((value >> s) & 255n).toString()).join(".");
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952: compress the longest run (length >= 2) of zero groups.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

export function mustParseIp(text: string, what = "address"): { family: Family; value: bigint } {
  const ip = parseIp(text);
  if (!ip) throw new EngineError("INVALID_ARGUMENT", `invalid ${what} '${text}'`, { hint: "give an IPv4 address like 172.20.0.10 or an IPv6 one like fd00::10" });
  return ip;
}

/** Canonical text of an address ("FD00:0::1" -> "fd00::1"). */
export function canonicalIp(text: string): string {
  const ip = mustParseIp(text);
  return formatIp(ip.family, ip.value);
}

export function parseCidr(text: string): Cidr {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  const ip = m ? parseIp(m[1]!) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  if (!m || !ip || prefix > bits(ip.family)) {
    throw new EngineError("INVALID_CIDR", `invalid subnet '${text}'`);
  }
  const hostMask = (1n << BigInt(bits(ip.family) - prefix)) - 1n;
  if ((ip.value & hostMask) !== 0n) {
    const network = formatCidr({ family: ip.family, network: ip.value & ~hostMask, prefix });
    throw new EngineError("INVALID_CIDR", `invalid subnet '${text}': host bits are set`, { hint: `did you mean ${network}?` });
  }
  return { family: ip.family, network: ip.value, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.family, c.network)}/${c.prefix}`;
}

export function cidrSize(c: Cidr): bigint {
  return 1n << BigInt(bits(c.family) - c.prefix);
}

export function lastAddress(c: Cidr): bigint {
  return c.network + cidrSize(c) - 1n;
}

export function cidrContains(c: Cidr, family: Family, value: bigint): boolean {
  return c.family === family && value >= c.network && value <= lastAddress(c);
}

export function cidrContainsText(c: Cidr, ip: string): boolean {
  const parsed = parseIp(ip);
  return parsed !== undefined && cidrContains(c, parsed.family, parsed.value);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.network <= lastAddress(b) && b.network <= lastAddress(a);
}

/** The i-th address of a subnet as text. */
export function nthAddress(c: Cidr, i: bigint): string {
  return formatIp(c.family, c.network + i);
}
