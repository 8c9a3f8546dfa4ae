// One table's parsed rows kept in memory (the daemon is the only writer): every change used to
// re-read and JSON-parse every workload and attachment several times (the nft sync, DNS, BGP, the
// port holder), which made creating the 1,000th workload ~8× slower than the first (bench/dataplane).
// Records are frozen and shared; the list is rebuilt (sorted, not parsed) only after a write.

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
  private shared: readonly T[] | undefined;

  /** `load` reads every row; `order` sorts as the table's SELECT does (so lists are unchanged). */
  constructor(
    private readonly load: () => string[],
    private readonly keyOf: (doc: T) => string,
    private readonly order: (a: T, b: T) => number,
  ) {}

  private map(): Map<string, T> {
    if (this.byKey) return this.byKey;
    const parsed = this.load().map((text) => deepFreeze(JSON.parse(text) as T));
    return (this.byKey = new Map(parsed.map((d) => [this.keyOf(d), d])));
  }

  /** Shared and frozen (as its records): the same array until a write, so readers may memoize on it. */
  list(): readonly T[] {
    return (this.shared ??= Object.freeze([...this.map().values()].sort(this.order)));
  }

  /** After the row was written: `text` is what was stored, parsed again so the cache holds exactly what a read would. */
  put(text: string): void {
    if (!this.byKey) return;
    const doc = deepFreeze(JSON.parse(text) as T);
    this.byKey.set(this.keyOf(doc), doc);
    this.shared = undefined;
  }

  delete(match: (doc: T) => boolean): void {
    if (!this.byKey) return;
    for (const [k, d] of this.byKey) if (match(d)) this.byKey.delete(k);
    this.shared = undefined;
  }

  /** A rolled-back transaction: read the table again when next asked. */
  drop(): void {
    this.byKey = undefined;
    this.shared = undefined;
  }
}

/** SQLite's default (BINARY) text order, for ASCII keys. */
export const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
