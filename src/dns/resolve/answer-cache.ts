// Cache of upstream answers, stored as the upstream's bytes plus the offsets of every TTL field,
// so a hit is a copy with TTLs lowered by the time spent in cache (no re-encoding, which would
// also drop name compression). Negative answers live for the SOA minimum (RFC 2308 section 5).
import * as dnsPacket from "dns-packet";
import { LruMap } from "./lru-map";
import { RCODE, TC, rcodeOf } from "../wire/wire";

export interface AnswerCacheOptions {
  maxEntries: number;
  /** Milliseconds; injectable so tests control time. */
  now?: () => number;
  /** Upper bound for positive answers, seconds. */
  maxTtl?: number;
  /** Upper bound for NXDOMAIN/NODATA, seconds. */
  maxNegativeTtl?: number;
}

interface Entry {
  raw: Buffer;
  ttlOffsets: number[];
  ttls: number[];
  storedAt: number;
  expiresAt: number;
  rcode: number;
}

export interface CachedAnswer {
  /** A private copy: the caller patches id and question spelling. */
  response: Buffer;
  rcode: number;
  ttlRemaining: number;
}

interface Codec<T> {
  decode: ((buf: Buffer, offset: number) => T) & { bytes: number };
}
// dns-packet's per-section codecs exist at runtime but not in its typings.
const codecs = dnsPacket as unknown as { name: Codec<string>; question: Codec<dnsPacket.Question>; answer: Codec<dnsPacket.Answer> };

export class AnswerCache {
  private readonly entries: LruMap<string, Entry>;
  private readonly now: () => number;
  private readonly maxTtl: number;
  private readonly maxNegativeTtl: number;

  constructor(opts: AnswerCacheOptions) {
    this.entries = new LruMap(opts.maxEntries);
    this.now = opts.now ?? Date.now;
    this.maxTtl = opts.maxTtl ?? 3600;
    this.maxNegativeTtl = opts.maxNegativeTtl ?? 900;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  get(key: string): CachedAnswer | undefined {
    const e = this.live(key, true);
    if (!e) return undefined;
    const elapsed = Math.floor((this.now() - e.storedAt) / 1000);
    const response = Buffer.from(e.raw);
    for (let i = 0; i < e.ttlOffsets.length; i++) response.writeUInt32BE(Math.max(0, e.ttls[i] - elapsed), e.ttlOffsets[i]);
    return { response, rcode: e.rcode, ttlRemaining: Math.ceil((e.expiresAt - this.now()) / 1000) };
  }

  /** What explain shows: is it cached, with which rcode, for how long. */
  peek(key: string): { rcode: number; ttlRemaining: number } | undefined {
    const e = this.live(key, false);
    return e && { rcode: e.rcode, ttlRemaining: Math.ceil((e.expiresAt - this.now()) / 1000) };
  }

  /** Stores an upstream response if it is cacheable; returns whether it was stored. */
  store(key: string, raw: Buffer): boolean {
    let layout: ReturnType<typeof scan>;
    try {
      layout = scan(raw);
    } catch {
      return false;
    }
    if (layout.ttl === undefined) return false;
    const rcode = rcodeOf(raw.readUInt16BE(2));
    const ttl = Math.min(layout.ttl, layout.negative ? this.maxNegativeTtl : this.maxTtl);
    if (ttl <= 0) return false;
    const now = this.now();
    this.entries.set(key, { raw: Buffer.from(raw), ttlOffsets: layout.ttlOffsets, ttls: layout.ttls, storedAt: now, expiresAt: now + ttl * 1000, rcode });
    return true;
  }

  private live(key: string, touch: boolean): Entry | undefined {
    const e = touch ? this.entries.get(key) : this.entries.peek(key);
    if (e && this.now() >= e.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }
}

/**
 * Walks the message with dns-packet's codecs: offsets and values of every TTL (OPT excluded:
 * its "TTL" is EDNS flags) and how long the whole answer may be cached, undefined if never.
 */
function scan(raw: Buffer): { ttlOffsets: number[]; ttls: number[]; ttl: number | undefined; negative?: boolean } {
  const flags = raw.readUInt16BE(2);
  const counts = [raw.readUInt16BE(4), raw.readUInt16BE(6), raw.readUInt16BE(8), raw.readUInt16BE(10)];
  let off = 12;
  for (let i = 0; i < counts[0]; i++) {
    codecs.question.decode(raw, off);
    off += codecs.question.decode.bytes;
  }
  const ttlOffsets: number[] = [];
  const ttls: number[] = [];
  let minAnswer = Infinity;
  let negativeTtl: number | undefined;
  for (let section = 1; section <= 3; section++) {
    for (let i = 0; i < counts[section]; i++) {
      codecs.name.decode(raw, off);
      const ttlOffset = off + codecs.name.decode.bytes + 4;
      const rr = codecs.answer.decode(raw, off);
      off += codecs.answer.decode.bytes;
      if (rr.type === "OPT") continue;
      const ttl = raw.readUInt32BE(ttlOffset);
      ttlOffsets.push(ttlOffset);
      ttls.push(ttl);
      if (section === 1) minAnswer = Math.min(minAnswer, ttl);
      if (section === 2 && rr.type === "SOA") negativeTtl = Math.min(ttl, rr.data.minimum ?? ttl);
    }
  }
  const rcode = rcodeOf(flags);
  if (flags & TC) return { ttlOffsets, ttls, ttl: undefined };
  if (rcode === RCODE.NOERROR && counts[1] > 0) return { ttlOffsets, ttls, ttl: minAnswer };
  // NXDOMAIN, or NOERROR without answers (NODATA): cacheable only with an SOA to say how long.
  if (rcode === RCODE.NXDOMAIN || rcode === RCODE.NOERROR) return { ttlOffsets, ttls, ttl: negativeTtl, negative: true };
  return { ttlOffsets, ttls, ttl: undefined };
}
