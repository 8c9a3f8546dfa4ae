// Where one of the store's shared lists came from: the store stamps each list it hands out with
// its journal and version, and keeps the records written since (bounded). A reader holding an older
// list of the same journal then learns what changed from the entries between the two versions,
// without comparing the lists themselves: at 6,000 workloads the identity scans of whole lists
// were a sixth of the daemon's time per creation (issue 20).
import { lowerBound } from "./lower-bound";

interface Entry<T> {
  version: number;
  key: string;
  /** The record written, or undefined: deleted. */
  doc: T | undefined;
}

/** The journal a list was stamped with, and how many writes it had seen then. */
const stamps = new WeakMap<readonly unknown[], { journal: ListJournal<unknown>; version: number }>();

export class ListJournal<T> {
  private entries: Entry<T>[] = [];
  private version = 0;
  /** Every write after this version is still in `entries`. */
  private keptAfter = 0;

  /** `keyOf`: the key of a record, the one readers must use; `limit`: entries kept at least (older ones are dropped in halves). */
  constructor(
    readonly keyOf: (doc: T) => string,
    private readonly limit = 4096,
  ) {}

  /** A record written (`doc`) or deleted (undefined) under `key`. */
  record(key: string, doc: T | undefined): void {
    this.entries.push({ version: ++this.version, key, doc });
    if (this.entries.length >= 2 * this.limit) {
      this.entries = this.entries.slice(this.entries.length - this.limit);
      this.keptAfter = this.entries[0]!.version - 1;
    }
  }

  /** Marks a list as the state after every write recorded so far. */
  stamp(list: readonly T[]): void {
    stamps.set(list, { journal: this as ListJournal<unknown>, version: this.version });
  }

  /** Key → its record at `to` (undefined: gone) for every key written after `from` up to `to`; undefined if no longer kept. */
  between(from: number, to: number): Map<string, T | undefined> | undefined {
    if (from < this.keptAfter || to < from) return undefined;
    const out = new Map<string, T | undefined>();
    for (let i = lowerBound(this.entries, (e) => e.version <= from); i < this.entries.length && this.entries[i]!.version <= to; i++) {
      const e = this.entries[i]!;
      out.set(e.key, e.doc);
    }
    return out;
  }
}

/**
 * What was written between two lists stamped by one journal keyed by `key` (key → record in
 * `list`, undefined: not in it); undefined when they were not (a list made elsewhere, a journal
 * started again after a rollback, or one that no longer keeps that far back): the caller compares
 * the lists instead.
 */
export function writtenBetween<T>(before: readonly T[], list: readonly T[], key: (doc: T) => string): Map<string, T | undefined> | undefined {
  const a = stamps.get(before);
  const b = stamps.get(list);
  if (!a || !b || a.journal !== b.journal || a.journal.keyOf !== key) return undefined;
  return (b.journal as ListJournal<T>).between(a.version, b.version);
}
