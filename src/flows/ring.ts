// Bounded memory for flow records: the newest `capacity` are kept, older ones are overwritten.
// Counters (by verdict, reason, namespace) cover every record ever seen, not only those kept.
import type { FlowRecord } from "./record";

export interface FlowCounters {
  byVerdict: Record<string, number>;
  byReason: Record<string, number>;
  /** `${namespace} ${verdict}` -> count, for both ends' namespaces (a flow within one counts once). */
  byNamespace: Record<string, number>;
}

const RATE_WINDOW_S = 10;

export class FlowRing {
  private readonly items: (FlowRecord | undefined)[];
  private next = 0;
  /** Records ever pushed (the next record's seq is this + 1). */
  total = 0;
  readonly counters: FlowCounters = { byVerdict: {}, byReason: {}, byNamespace: {} };
  /** Records per whole second, for the last RATE_WINDOW_S seconds. */
  private readonly perSecond = new Map<number, number>();
  private readonly listeners = new Set<(r: FlowRecord) => void>();

  constructor(readonly capacity: number) {
    this.items = new Array<FlowRecord | undefined>(capacity);
  }

  nextSeq(): number {
    return this.total + 1;
  }

  push(r: FlowRecord, nowMs = Date.now()): void {
    this.items[this.next] = r;
    this.next = (this.next + 1) % this.capacity;
    this.total++;
    const c = this.counters;
    c.byVerdict[r.verdict] = (c.byVerdict[r.verdict] ?? 0) + 1;
    if (r.dropReason) c.byReason[r.dropReason] = (c.byReason[r.dropReason] ?? 0) + 1;
    for (const ns of new Set([r.source.namespace, r.destination.namespace])) {
      if (ns) c.byNamespace[`${ns} ${r.verdict}`] = (c.byNamespace[`${ns} ${r.verdict}`] ?? 0) + 1;
    }
    const second = Math.floor(nowMs / 1000);
    this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + 1);
    this.trim(second);
    for (const l of this.listeners) l(r);
  }

  /** Records of an earlier run (the flow journal): kept and numbered anew, not counted, not announced. */
  restore(records: readonly FlowRecord[]): void {
    for (const r of records.slice(-this.capacity)) {
      this.total++;
      this.items[this.next] = { ...r, seq: this.total };
      this.next = (this.next + 1) % this.capacity;
    }
  }

  private trim(second: number): void {
    for (const s of this.perSecond.keys()) if (s <= second - RATE_WINDOW_S) this.perSecond.delete(s);
  }

  /** Records per second over the last ten seconds. */
  rate(nowMs = Date.now()): number {
    this.trim(Math.floor(nowMs / 1000));
    let n = 0;
    for (const c of this.perSecond.values()) n += c;
    return n / RATE_WINDOW_S;
  }

  get size(): number {
    return Math.min(this.total, this.capacity);
  }

  /** Kept records, oldest first. */
  records(): FlowRecord[] {
    const n = this.size;
    const start = (this.next - n + this.capacity) % this.capacity;
    return Array.from({ length: n }, (_, i) => this.items[(start + i) % this.capacity]!);
  }

  /** Called for each new record until the returned function is called. */
  subscribe(listener: (r: FlowRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
