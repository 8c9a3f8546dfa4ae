// Rewrites a DNS message with name compression (RFC 1035 section 4.1.4) and, when it is still
// too big, keeps the whole records that fit and sets TC. dns-packet encodes every name in full:
// 11 A records of a long service name already pass 512 bytes that way, under 300 compressed.
// Names inside RDATA are compressed only for the RFC 1035 types that allow it (CNAME, PTR, NS,
// MX, SOA) plus SRV targets written uncompressed but readable when compressed upstream.
import { TC } from "./wire";

/** Types whose RDATA holds names: [bytes before the first name, number of names, bytes after]. */
const NAME_RDATA: Record<number, { before: number; names: number; after: number; compress: boolean }> = {
  2: { before: 0, names: 1, after: 0, compress: true }, // NS
  5: { before: 0, names: 1, after: 0, compress: true }, // CNAME
  6: { before: 0, names: 2, after: 20, compress: true }, // SOA
  12: { before: 0, names: 1, after: 0, compress: true }, // PTR
  15: { before: 2, names: 1, after: 0, compress: true }, // MX
  33: { before: 6, names: 1, after: 0, compress: false }, // SRV: RFC 2782 forbids compressing its target
};
const OPT = 41;
const MAX_POINTER = 0x3fff;

/** Reads a name (following pointers) as labels; returns them and the offset after it in place. */
function readName(buf: Buffer, start: number): { labels: Buffer[]; end: number } {
  const labels: Buffer[] = [];
  let off = start;
  let end = -1;
  for (let jumps = 0; ; ) {
    if (off >= buf.length) throw new Error("name runs past the message");
    const len = buf[off];
    if (len === 0) {
      if (end < 0) end = off + 1;
      return { labels, end };
    }
    if ((len & 0xc0) === 0xc0) {
      if (off + 1 >= buf.length || ++jumps > 64) throw new Error("bad compression pointer");
      if (end < 0) end = off + 2;
      off = ((len & 0x3f) << 8) | buf[off + 1];
      continue;
    }
    if (len & 0xc0) throw new Error("bad label type");
    if (off + 1 + len > buf.length) throw new Error("label runs past the message");
    labels.push(buf.subarray(off + 1, off + 1 + len));
    off += 1 + len;
  }
}

class Writer {
  readonly out: Buffer;
  len = 0;
  /** Name suffix, exactly as spelled -> offset where it was written (so no name changes case). */
  private readonly dict = new Map<string, number>();
  private added: string[] = [];

  constructor(size: number) {
    this.out = Buffer.allocUnsafe(size);
  }

  bytes(b: Buffer): void {
    b.copy(this.out, this.len);
    this.len += b.length;
  }

  name(labels: Buffer[], compress: boolean): void {
    for (let i = 0; i < labels.length; i++) {
      // Length-prefixed labels: a label may itself contain a dot.
      let key = "";
      for (let k = i; k < labels.length; k++) key += String.fromCharCode(labels[k].length) + labels[k].toString("latin1");
      const at = this.dict.get(key);
      if (compress && at !== undefined) {
        this.out.writeUInt16BE(0xc000 | at, this.len);
        this.len += 2;
        return;
      }
      if (this.len <= MAX_POINTER && at === undefined) {
        this.dict.set(key, this.len);
        this.added.push(key);
      }
      this.out[this.len++] = labels[i].length;
      this.bytes(labels[i]);
    }
    this.out[this.len++] = 0;
  }

  /** Marks a point to roll back to: the bytes and the dictionary entries written after it go. */
  mark(): number {
    this.added = [];
    return this.len;
  }

  rollback(to: number): void {
    for (const k of this.added) this.dict.delete(k);
    this.added = [];
    this.len = to;
  }
}

interface Rr {
  owner: Buffer[];
  type: number;
  /** class, ttl: copied as they are. */
  classTtl: Buffer;
  rdata: Buffer;
  rdataNames?: Buffer[][];
  section: 1 | 2 | 3;
}

/**
 * The message compressed; if it exceeds `limit`, the header, question, the records that fit in
 * order and the OPT record (always kept: RFC 6891 section 7), with TC set. Throws on a message
 * it cannot parse (the caller falls back to a header-only TC answer).
 */
export function compressMessage(msg: Buffer, limit = 0xffff): Buffer {
  if (msg.length < 12) throw new Error("short message");
  const qd = msg.readUInt16BE(4);
  const counts = [msg.readUInt16BE(6), msg.readUInt16BE(8), msg.readUInt16BE(10)];
  let off = 12;
  const questions: { name: Buffer[]; tail: Buffer }[] = [];
  for (let i = 0; i < qd; i++) {
    const n = readName(msg, off);
    questions.push({ name: n.labels, tail: msg.subarray(n.end, n.end + 4) });
    off = n.end + 4;
  }
  const records: Rr[] = [];
  let size = 12 + 259 * qd;
  let opt: Buffer | undefined;
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s]; i++) {
      const n = readName(msg, off);
      if (n.end + 10 > msg.length) throw new Error("record runs past the message");
      const type = msg.readUInt16BE(n.end);
      const rdlen = msg.readUInt16BE(n.end + 8);
      const rdStart = n.end + 10;
      if (rdStart + rdlen > msg.length) throw new Error("rdata runs past the message");
      if (type === OPT && s === 2) {
        opt = msg.subarray(off, rdStart + rdlen); // root owner: nothing to compress
        size += opt.length;
      } else {
        const r: Rr = { owner: n.labels, type, classTtl: msg.subarray(n.end + 2, n.end + 8), rdata: msg.subarray(rdStart, rdStart + rdlen), section: (s + 1) as 1 | 2 | 3 };
        const shape = NAME_RDATA[type];
        if (shape) {
          r.rdataNames = [];
          let p = rdStart + shape.before;
          for (let k = 0; k < shape.names; k++) {
            const rn = readName(msg, p);
            r.rdataNames.push(rn.labels);
            p = rn.end;
          }
          r.rdata = Buffer.concat([msg.subarray(rdStart, rdStart + shape.before), msg.subarray(p, p + shape.after)]);
        }
        records.push(r);
        size += 265 + r.rdata.length + 255 * (r.rdataNames?.length ?? 0);
      }
      off = rdStart + rdlen;
    }
  }

  // Room for every name written in full: a pointer in the input can stand for up to 255 bytes.
  const w = new Writer(size);
  w.bytes(msg.subarray(0, 12));
  for (const q of questions) {
    w.name(q.name, true);
    w.bytes(q.tail);
  }
  const room = limit - (opt?.length ?? 0);
  const kept = [0, 0, 0];
  let truncated = w.len > room;
  for (const r of truncated ? [] : records) {
    const start = w.mark();
    w.name(r.owner, true);
    const fixed = w.len;
    w.out.writeUInt16BE(r.type, w.len);
    r.classTtl.copy(w.out, w.len + 2);
    w.len += 10;
    const shape = NAME_RDATA[r.type];
    if (shape && r.rdataNames) {
      w.bytes(r.rdata.subarray(0, shape.before));
      for (const n of r.rdataNames) w.name(n, shape.compress);
      w.bytes(r.rdata.subarray(shape.before));
    } else {
      w.bytes(r.rdata);
    }
    w.out.writeUInt16BE(w.len - fixed - 10, fixed + 8);
    if (w.len > room) {
      w.rollback(start);
      truncated = true;
      break;
    }
    kept[r.section - 1]++;
  }
  if (opt) w.bytes(opt);
  const out = w.out.subarray(0, w.len);
  out.writeUInt16BE(kept[0], 6);
  out.writeUInt16BE(kept[1], 8);
  out.writeUInt16BE(kept[2] + (opt ? 1 : 0), 10);
  if (truncated) out.writeUInt16BE(out.readUInt16BE(2) | TC, 2);
  return Buffer.from(out);
}
