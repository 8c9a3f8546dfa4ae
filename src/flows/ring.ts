// Bounded memory for flow records: the newest `capacity` are kept, older ones are overwritten.
// Positions are reusable slots (flow-slot.ts): a logged packet is kept as its first bytes and
// references to what the daemon knew, and becomes a record object only when read, so a busy host
// allocates nothing per connection here and memory stays flat however fast records come.
// Counters (by verdict, reason, namespace) cover every record ever seen, not only those kept.
import type { Decision } from "./decision";
import { fillSlot, FlowSlot, recordOf, type FlowIndex, type RawBuilder } from "./flow-slot";
import type { FlowRecord } from "./record";

export interface FlowCounters {
  byVerdict: Record<string, number>;
  byReason: Record<string, number>;
  /** `${namespace} ${verdict}` -> count, for both ends' namespaces (a flow within one counts once). */
  byNamespace: Record<string, number>;
}

const RATE_WINDOW_S = 10;

interface Listener {
  onRecord: (r: FlowRecord) => void;
  /** Asked first, with the decision alone: false spares building the record. */
  wants?: (d: Decision) => boolean;
}

export class FlowRing {
  private readonly slots: (FlowSlot | undefined)[];
  private next = 0;
  /** Records ever pushed (the next record's seq is this + 1). */
  total = 0;
  readonly counters: FlowCounters = { byVerdict: {}, byReason: {}, byNamespace: {} };
  /** Records per whole second, for the last RATE_WINDOW_S seconds (second i in bucket i % size). */
  private readonly buckets = new Float64Array(RATE_WINDOW_S + 1);
  private readonly bucketSecond = new Float64Array(RATE_WINDOW_S + 1).fill(-1);
  private readonly listeners = new Set<Listener>();
  /** `${namespace} ${verdict}` keys, made once each. */
  private readonly namespaceKeys = new Map<string, Map<string, string>>();

  constructor(readonly capacity: number) {
    this.slots = new Array<FlowSlot | undefined>(capacity);
  }

  nextSeq(): number {
    return this.total + 1;
  }

  private take(): FlowSlot {
    const slot = (this.slots[this.next] ??= new FlowSlot());
    this.next = (this.next + 1) % this.capacity;
    return slot;
  }

  /** A record made elsewhere (a DNS query). */
  push(r: FlowRecord, nowMs = Date.now()): void {
    const slot = this.take();
    slot.full = r;
    slot.line = undefined;
    slot.builder = undefined;
    slot.seq = r.seq;
    this.total++;
    this.count(r, r.source.namespace, r.destination.namespace, nowMs);
    for (const l of this.listeners) if (!l.wants || l.wants(r)) l.onRecord(r);
  }

  /**
   * A record kept as its raw line (an L7 request): counted now by what the caller read of it
   * (`decision`, both ends' namespaces), built by `builder` only when read or when a listener wants it.
   */
  pushLine(line: string, builder: RawBuilder, decision: Decision, srcNs: string | undefined, dstNs: string | undefined, nowMs = Date.now()): void {
    const slot = this.take();
    slot.full = undefined;
    slot.line = line;
    slot.builder = builder;
    slot.seq = ++this.total;
    this.count(decision, srcNs, dstNs, nowMs);
    if (!this.listeners.size) return;
    let r: FlowRecord | undefined;
    for (const l of this.listeners) if (!l.wants || l.wants(decision)) l.onRecord((r ??= recordOf(slot)));
  }

  /** A logged packet whose bytes readableVersion() accepted (`version`); see fillSlot. */
  pushPacket(index: FlowIndex, bytes: Buffer, at: number, length: number, version: number, group: number, inIf: string | undefined, outIf: string | undefined, prefix: string | undefined, mark: number, time: number, nowMs = Date.now()): void {
    const slot = this.take();
    fillSlot(slot, index, bytes, at, length, version, group, inIf, outIf, prefix, mark, time);
    slot.seq = ++this.total;
    this.count(slot.decision, slot.src?.namespace, slot.dst?.namespace, nowMs);
    if (!this.listeners.size) return;
    let r: FlowRecord | undefined;
    for (const l of this.listeners) if (!l.wants || l.wants(slot.decision)) l.onRecord((r ??= recordOf(slot)));
  }

  private count(d: Decision, srcNs: string | undefined, dstNs: string | undefined, nowMs: number): void {
    const c = this.counters;
    c.byVerdict[d.verdict] = (c.byVerdict[d.verdict] ?? 0) + 1;
    if (d.dropReason) c.byReason[d.dropReason] = (c.byReason[d.dropReason] ?? 0) + 1;
    if (srcNs) this.countNamespace(srcNs, d.verdict);
    if (dstNs && dstNs !== srcNs) this.countNamespace(dstNs, d.verdict);
    const second = Math.floor(nowMs / 1000);
    const b = second % this.buckets.length;
    if (this.bucketSecond[b] !== second) {
      this.bucketSecond[b] = second;
      this.buckets[b] = 0;
    }
    this.buckets[b]++;
  }

  private countNamespace(ns: string, verdict: string): void {
    let keys = this.namespaceKeys.get(ns);
    if (!keys) this.namespaceKeys.set(ns, (keys = new Map()));
    let key = keys.get(verdict);
    if (!key) keys.set(verdict, (key = `${ns} ${verdict}`));
    this.counters.byNamespace[key] = (this.counters.byNamespace[key] ?? 0) + 1;
  }

  /** Records of an earlier run (the flow journal): kept and numbered anew, not counted, not announced. */
  restore(records: readonly FlowRecord[]): void {
    for (const r of records.slice(-this.capacity)) {
      this.total++;
      const slot = this.take();
      slot.full = { ...r, seq: this.total };
      slot.line = undefined;
      slot.builder = undefined;
      slot.seq = this.total;
    }
  }

  /** Records per second over the last ten seconds. */
  rate(nowMs = Date.now()): number {
    const second = Math.floor(nowMs / 1000);
    let n = 0;
    for (let b = 0; b < this.buckets.length; b++) if (this.bucketSecond[b]! > second - RATE_WINDOW_S && this.bucketSecond[b]! <= second) n += this.buckets[b]!;
    return n / RATE_WINDOW_S;
  }

  get size(): number {
    return Math.min(this.total, this.capacity);
  }

  /** Kept records, oldest first. */
  records(): FlowRecord[] {
    const n = this.size;
    const start = (this.next - n + this.capacity) % this.capacity;
    return Array.from({ length: n }, (_, i) => recordOf(this.slots[(start + i) % this.capacity]!));
  }

  /** Called for each new record until the returned function is called; `wants` can decline a record by its decision alone. */
  subscribe(onRecord: (r: FlowRecord) => void, wants?: (d: Decision) => boolean): () => void {
    const l: Listener = { onRecord, ...(wants ? { wants } : {}) };
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}
