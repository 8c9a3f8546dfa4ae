// Set element text (as the plan renders it for nft) -> key and data bytes, for the set types the
// hot path changes: service dispatch maps, the endpoint slot maps, the interface sets a routed
// network's workload veths join (`"pr-…"`), and the policy maps (concatenations with ranges, which
// the kernel keeps in a pipapo set: each element a start key and an end key). Other types return
// undefined and the change goes through `nft -f`.
import { parseIp } from "../../model/ip";
import type { NftSetRef } from "../../compile/nft-ops";
import { attr, listElem, nest, str, u32, u32host } from "./message";

type FieldType = "ipv4_addr" | "ipv6_addr" | "inet_proto" | "inet_service" | "u32" | "ifname" | "verdict";

// A mark is a host-order u32 like numgen's result.
const NAMED: Record<string, FieldType> = { ipv4_addr: "ipv4_addr", ipv6_addr: "ipv6_addr", inet_proto: "inet_proto", inet_service: "inet_service", mark: "u32", ifname: "ifname", verdict: "verdict" };

/** A `typeof` component: numgen yields a host-order u32; payload fields have their usual types. */
function typeofField(expr: string): FieldType | undefined {
  if (/^numgen (inc|random) mod \d+$/.test(expr)) return "u32";
  if (/^ip [sd]addr$/.test(expr)) return "ipv4_addr";
  if (/^ip6 [sd]addr$/.test(expr)) return "ipv6_addr";
  if (/^(tcp|udp|th) [sd]port$/.test(expr)) return "inet_service";
  if (expr === "verdict") return "verdict";
  return undefined;
}

export interface SetLayout {
  key: FieldType[];
  data?: FieldType[];
  /** A concatenation with `flags interval`: every key field may be a range (start and end keys). */
  ranges?: boolean;
}

/**
 * The key and data fields of a set, or undefined when its elements are not encodable here (a
 * single-field interval set, whose ranges are pairs of elements; other types).
 */
export function setLayout(set: NftSetRef): SetLayout | undefined {
  const ranges = set.flags?.includes("interval") === true;
  const [keyText, dataText] = set.type.split(" : ");
  if (ranges && !keyText!.includes(" . ")) return undefined;
  const fields = (text: string) => {
    const list = text.split(" . ").map((t) => (set.typeof ? typeofField(t) : NAMED[t]));
    return list.every((f) => f !== undefined) ? (list as FieldType[]) : undefined;
  };
  const key = fields(keyText!);
  const data = dataText === undefined ? undefined : fields(dataText);
  if (!key || (set.kind === "map") !== (data !== undefined)) return undefined;
  if (key.includes("verdict") || (data && data.includes("verdict") && data.length > 1)) return undefined;
  if (ranges && key.includes("ifname")) return undefined; // wildcards are prefix ranges: not encoded here
  return { key, ...(data ? { data } : {}), ...(ranges ? { ranges } : {}) };
}

export const PROTOCOLS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58 };

/** An address in network order: 4 bytes for "ip", 16 for "ip6" (undefined when of the other family). */
export function addressBytes(family: "ip" | "ip6", text: string): Buffer | undefined {
  const ip = parseIp(text);
  if (!ip || ip.family !== (family === "ip" ? 4 : 6)) return undefined;
  return Buffer.from(ip.value.toString(16).padStart(family === "ip" ? 8 : 32, "0"), "hex");
}

/** A port in network order (2 bytes). */
export function portBytes(text: string): Buffer | undefined {
  if (!/^\d+$/.test(text) || Number(text) > 65535) return undefined;
  const b = Buffer.alloc(2);
  b.writeUInt16BE(Number(text));
  return b;
}

function fieldBytes(type: FieldType, text: string): Buffer | undefined {
  switch (type) {
    case "ipv4_addr":
      return addressBytes("ip", text);
    case "ipv6_addr":
      return addressBytes("ip6", text);
    case "inet_proto": {
      const n = PROTOCOLS[text] ?? (/^\d+$/.test(text) ? Number(text) : NaN);
      return n >= 0 && n <= 255 ? Buffer.from([n]) : undefined;
    }
    case "inet_service":
      return portBytes(text);
    case "u32":
      // Decimal, or hex as the policy maps write their decision ids (`0x1a2b3c4d`).
      return /^(\d+|0x[0-9a-f]{1,8})$/i.test(text) && Number(text) <= 0xffffffff ? u32host(Number(text)) : undefined;
    case "ifname":
      return ifnameBytes(text);
    case "verdict":
      return undefined;
  }
}

/** A quoted interface name as nft stores it: IFNAMSIZ (16) bytes, zero-padded; no wildcard (those need an interval set). */
function ifnameBytes(text: string): Buffer | undefined {
  const m = /^"([^"*\\]{1,15})"$/.exec(text);
  if (!m || Buffer.byteLength(m[1]!) > 15) return undefined;
  const b = Buffer.alloc(16);
  b.write(m[1]!);
  return b;
}

/** Concatenated fields are each padded to 32 bits (nft's register layout); a single field is not. */
function joined(bytes: (Buffer | undefined)[]): Buffer | undefined {
  if (bytes.some((b) => b === undefined)) return undefined;
  if (bytes.length === 1) return bytes[0];
  return Buffer.concat(bytes.map((b) => Buffer.concat([b!, Buffer.alloc((4 - (b!.length % 4)) % 4)])));
}

function value(types: FieldType[], text: string): Buffer | undefined {
  const parts = text.split(" . ");
  if (parts.length !== types.length) return undefined;
  return joined(parts.map((p, i) => fieldBytes(types[i]!, p.trim())));
}

/** The last address of `base/len` (family bytes), or undefined for a bad prefix or one with host bits set. */
function prefixEnd(base: Buffer, len: number): Buffer | undefined {
  const bits = base.length * 8;
  if (!Number.isInteger(len) || len < 0 || len > bits) return undefined;
  const value = BigInt(`0x${base.toString("hex")}`);
  const host = (1n << BigInt(bits - len)) - 1n;
  if ((value & host) !== 0n) return undefined;
  return Buffer.from((value | host).toString(16).padStart(base.length * 2, "0"), "hex");
}

/** One field of an interval key as [start, end]: `a-b`, an address prefix `a/len`, or a single value. */
function fieldRange(type: FieldType, text: string): [Buffer, Buffer] | undefined {
  const slash = text.indexOf("/");
  if (slash >= 0 && (type === "ipv4_addr" || type === "ipv6_addr")) {
    const base = fieldBytes(type, text.slice(0, slash));
    const end = base && prefixEnd(base, Number(text.slice(slash + 1)));
    return base && end ? [base, end] : undefined;
  }
  const dash = text.indexOf("-");
  if (dash < 0) {
    const one = fieldBytes(type, text);
    return one && [one, one];
  }
  const lo = fieldBytes(type, text.slice(0, dash));
  const hi = fieldBytes(type, text.slice(dash + 1));
  return lo && hi && Buffer.compare(lo, hi) <= 0 ? [lo, hi] : undefined;
}

/** Start and end keys of a range concatenation (`10.0.0.2 . 10.0.0.0/24 . 6 . 80-90`). */
function rangeKeys(types: FieldType[], text: string): [Buffer, Buffer] | undefined {
  const parts = text.split(" . ");
  if (parts.length !== types.length) return undefined;
  const ranges = parts.map((p, i) => fieldRange(types[i]!, p.trim()));
  if (ranges.some((r) => r === undefined)) return undefined;
  const start = joined(ranges.map((r) => r![0]));
  const end = joined(ranges.map((r) => r![1]));
  return start && end ? [start, end] : undefined;
}

// nf_tables attribute numbers (linux/netfilter/nf_tables.h).
const NFTA_DATA_VALUE = 1;
const NFTA_DATA_VERDICT = 2;
const NFTA_VERDICT_CODE = 1;
const NFTA_VERDICT_CHAIN = 2;
const NFTA_SET_ELEM_KEY = 1;
const NFTA_SET_ELEM_DATA = 2;
const NFTA_SET_ELEM_TIMEOUT = 4;
const NFTA_SET_ELEM_KEY_END = 10;
/** `KEY timeout 35000ms`: an element of a set with `flags timeout` (the FQDN maps), in milliseconds. */
const KEY_TIMEOUT = /^(.*) timeout (\d+)ms$/;
const VERDICTS: Record<string, number> = { accept: 1, drop: 0, continue: -1, return: -5 };
const CHAIN_VERDICTS: Record<string, number> = { jump: -3, goto: -4 };

/** NFTA_DATA_VERDICT of `goto X`, `jump X`, `accept`, `drop`… */
function verdictData(text: string): Buffer | undefined {
  const [word, chain, extra] = text.trim().split(/\s+/);
  if (extra !== undefined || word === undefined) return undefined;
  if (chain === undefined) {
    const code = VERDICTS[word];
    return code === undefined ? undefined : nest(NFTA_DATA_VERDICT, [u32(NFTA_VERDICT_CODE, code)]);
  }
  const code = CHAIN_VERDICTS[word];
  if (code === undefined || !/^[A-Za-z0-9_.-]+$/.test(chain)) return undefined;
  return nest(NFTA_DATA_VERDICT, [u32(NFTA_VERDICT_CODE, code), str(NFTA_VERDICT_CHAIN, chain)]);
}

/**
 * NFTA_LIST_ELEM of one element (`key` or `key : data`), or undefined when not encodable.
 * With `keyOnly` the data part is ignored (deletions).
 */
export function elementAttr(layout: SetLayout, text: string, keyOnly: boolean): Buffer | undefined {
  const colon = text.indexOf(" : ");
  let keyText = colon < 0 ? text : text.slice(0, colon);
  const timed = KEY_TIMEOUT.exec(keyText);
  if (timed) keyText = timed[1]!;
  // A range concatenation is found by both keys, also when deleted.
  const keys = layout.ranges ? rangeKeys(layout.key, keyText) : undefined;
  const key = layout.ranges ? keys?.[0] : value(layout.key, keyText);
  if (!key) return undefined;
  const parts = [nest(NFTA_SET_ELEM_KEY, [attr(NFTA_DATA_VALUE, key)])];
  if (keys) parts.push(nest(NFTA_SET_ELEM_KEY_END, [attr(NFTA_DATA_VALUE, keys[1])]));
  if (timed && !keyOnly) {
    const ms = Buffer.alloc(8);
    ms.writeBigUInt64BE(BigInt(timed[2]!));
    parts.push(attr(NFTA_SET_ELEM_TIMEOUT, ms));
  }
  if (!keyOnly && layout.data) {
    if (colon < 0) return undefined;
    const dataText = text.slice(colon + 3);
    const data = layout.data[0] === "verdict" ? verdictData(dataText) : value(layout.data, dataText);
    if (!data) return undefined;
    parts.push(nest(NFTA_SET_ELEM_DATA, [layout.data[0] === "verdict" ? data : attr(NFTA_DATA_VALUE, data)]));
  }
  return listElem(parts);
}
