// Netlink attributes and nf_tables messages, built as Buffers (what libnftnl does for nft).
import { endianness } from "node:os";

const NLA_F_NESTED = 0x8000;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;

const NFNL_SUBSYS_NFTABLES = 10;
const NFNL_MSG_BATCH_BEGIN = 0x10;
const NFNL_MSG_BATCH_END = 0x11;
const NFPROTO_INET = 1;

const hostLE = endianness() === "LE";

/** A u32 in host byte order (netlink headers, numgen keys, marks). */
export function u32host(n: number): Buffer {
  const b = Buffer.alloc(4);
  if (hostLE) b.writeUInt32LE(n >>> 0);
  else b.writeUInt32BE(n >>> 0);
  return b;
}

function u32be(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

const pad4 = (n: number) => (n + 3) & ~3;

export function attr(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  if (len > 0xffff) throw new RangeError(`netlink attribute ${type} too long (${len} bytes)`);
  const b = Buffer.alloc(pad4(len));
  if (hostLE) (b.writeUInt16LE(len, 0), b.writeUInt16LE(type, 2));
  else (b.writeUInt16BE(len, 0), b.writeUInt16BE(type, 2));
  payload.copy(b, 4);
  return b;
}

export const nest = (type: number, children: Buffer[]) => attr(type | NLA_F_NESTED, Buffer.concat(children));
/** NFTA_LIST_ELEM: one item of a list attribute (a rule's expressions, a message's set elements). */
export const listElem = (children: Buffer[]) => nest(1, children);
export const str = (type: number, s: string) => attr(type, Buffer.from(`${s}\0`));
export const u32 = (type: number, n: number) => attr(type, u32be(n));

function header(type: number, flags: number, seq: number, family: number, resId: number, body: Buffer): Buffer {
  const h = Buffer.alloc(20);
  const len = 20 + body.length;
  if (hostLE) (h.writeUInt32LE(len, 0), h.writeUInt16LE(type, 4), h.writeUInt16LE(flags, 6), h.writeUInt32LE(seq, 8));
  else (h.writeUInt32BE(len, 0), h.writeUInt16BE(type, 4), h.writeUInt16BE(flags, 6), h.writeUInt32BE(seq, 8));
  h.writeUInt8(family, 16);
  h.writeUInt16BE(resId, 18); // nfgenmsg.res_id is big-endian
  return Buffer.concat([h, body]);
}

export interface NftMessage {
  /** NFT_MSG_* */
  type: number;
  /** Extra NLM_F_* flags (REQUEST and ACK are always set). */
  flags: number;
  attrs: Buffer[];
}

/**
 * One transaction: BATCH_BEGIN, the messages (inet family, acked, seq = first + index), BATCH_END.
 * The kernel applies all of it or none.
 */
export function batch(messages: NftMessage[], firstSeq: number): Buffer {
  const res = NFNL_SUBSYS_NFTABLES;
  const parts = [header(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, firstSeq - 1, 0, res, Buffer.alloc(0))];
  messages.forEach((m, i) => parts.push(header((NFNL_SUBSYS_NFTABLES << 8) | m.type, NLM_F_REQUEST | NLM_F_ACK | m.flags, firstSeq + i, NFPROTO_INET, 0, Buffer.concat(m.attrs))));
  parts.push(header(NFNL_MSG_BATCH_END, NLM_F_REQUEST, firstSeq + messages.length, 0, res, Buffer.alloc(0)));
  return Buffer.concat(parts);
}
