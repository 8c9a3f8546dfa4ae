// One table's parsed rows kept in memory (the daemon is the only writer): every change used to
// re-read and JSON-parse every workload and attachment several times (the nft sync, DNS, BGP, the
// port holder), which made creating the 1,000th workload ~8× slower than the first (bench/dataplane).
// Records are frozen and shared. The list is kept sorted by each write (a binary search, one row
// moved) rather than sorted whole again: at 2,000 workloads the sort after every creation was a
// pass over every row per change (issue 20). Keys are unique in the order (a table's key), so the
// kept list is exactly the sorted one (doc-cache-order.test.ts compares them).
import { lowerBound } from "../model/lower-bound";
import { ListJournal } from "../model/list-journal";

/** Freezes a parsed JSON document and everything in it. */
export function deepFreeze<T>(doc: T): T {
  if (doc && typeof doc === "object" && !Object.isFrozen(doc)) {
    Object.freeze(doc);
    for (const v of Object.values(doc)) deepFreeze(v);
  }
  return doc;
}

export class DocCache<T> {
  private byKey: Map<string, T> | undefined;
  /** Every row, in `order`, moved by each write. */
  private sorted: T[] = [];
  /** A frozen copy of `sorted` handed to readers, made again only after a write. */
  private shared: readonly T[] | undefined;
  /** Each list handed out is stamped here, so a reader of two lists learns what was written between (list-journal.ts). */
  private journal: ListJournal<T>;

  /** `load` reads every row; `order` sorts as the table's SELECT does (so lists are unchanged); `journalLimit`: writes kept for readers (ListJournal). */
  constructor(
    private readonly load: () => string[],
    private readonly keyOf: (doc: T) => string,
    private readonly order: (a: T, b: T) => number,
    private readonly journalLimit?: number,
  ) {
    this.journal = new ListJournal(keyOf, journalLimit);
  }

  private map(): Map<string, T> {
    if (this.byKey) return this.byKey;
    const parsed = this.load().map((text) => deepFreeze(JSON.parse(text) as T));
    this.byKey = new Map(parsed.map((d) => [this.keyOf(d), d]));
    this.sorted = [...this.byKey.values()].sort(this.order);
    return this.byKey;
  }

  /** The first place in `sorted` whose row does not sort before `doc`. */
  private place(doc: T): number {
    return lowerBound(this.sorted, (x) => this.order(x, doc) < 0);
  }

  private unlist(doc: T): void {
    const i = this.place(doc);
    if (this.sorted[i] === doc) this.sorted.splice(i, 1);
  }

  /** Shared and frozen (as its records): the same array until a write, so readers may memoize on it. */
  list(): readonly T[] {
    this.map();
    if (this.shared) return this.shared;
    this.shared = Object.freeze(this.sorted.slice());
    this.journal.stamp(this.shared);
    return this.shared;
  }

  /** After the row was written: `text` is what was stored, parsed again so the cache holds exactly what a read would. */
  put(text: string): void {
    if (!this.byKey) return;
    const doc = deepFreeze(JSON.parse(text) as T);
    const key = this.keyOf(doc);
    const old = this.byKey.get(key);
    if (old) this.unlist(old);
    this.byKey.set(key, doc);
    this.sorted.splice(this.place(doc), 0, doc);
    this.journal.record(key, doc);
    this.shared = undefined;
  }

  /** After the rows were deleted: by key, so a removal is not a pass over every row. */
  delete(keys: Iterable<string>): void {
    if (!this.byKey) return;
    for (const k of keys) {
      const d = this.byKey.get(k);
      if (d === undefined) continue;
      this.byKey.delete(k);
      this.unlist(d);
      this.journal.record(k, undefined);
    }
    this.shared = undefined;
  }

  /** A rolled-back transaction: read the table again when next asked. */
  drop(): void {
    this.byKey = undefined;
    // Records read again are other objects: lists from before the rollback are compared whole.
    this.journal = new ListJournal(this.keyOf, this.journalLimit);
    this.sorted = [];
    this.shared = undefined;
  }
}
