// The nft compile's set elements kept between compiles (issue 20): each contributor (the networks'
// part, one per workload) says its elements; the elements of a set are counted, and each set's
// sorted array is moved by what changed instead of every workload's elements being made, sorted and
// compared per change (a creation cost 2 sorts and 2 set differences of every veth on a routed network).
// A new array is made only for a set that changed, and it remembers the array it was made from and
// the difference, so diffOps reads the difference instead of comparing whole arrays.

import { lowerBound } from "../../model/lower-bound";

/** An element of a set: [set name, element text]. */
export type SetElement = readonly [string, string];

/** Arrays made by SetElements.arrays() from another array: that array and what was added and removed. */
const derived = new WeakMap<readonly string[], { from: readonly string[]; added: string[]; removed: string[] }>();

/** The elements added and removed from `from` to `to` when `to` was kept from it (undefined: compare them). */
export function keptDelta(from: readonly string[], to: readonly string[]): { added: string[]; removed: string[] } | undefined {
  if (from === to) return { added: [], removed: [] };
  const d = derived.get(to);
  return d && d.from === from ? d : undefined;
}

/** Where `e` goes in the sorted `list` (code-unit order, as Array.prototype.sort), or where it is. */
const placeOf = (list: readonly string[], e: string) => lowerBound(list, (x) => x < e);

export class SetElements {
  private readonly of = new Map<string, readonly SetElement[]>();
  private readonly counts = new Map<string, Map<string, number>>();
  private readonly sorted = new Map<string, readonly string[]>();
  /** Since the last arrays(): per set, elements whose count went 0 → 1 (added) or 1 → 0 (removed). */
  private readonly pending = new Map<string, { added: Set<string>; removed: Set<string> }>();

  /** Replaces what `contributor` adds (an empty list: it is gone). */
  set(contributor: string, elements: readonly SetElement[]): void {
    const before = this.of.get(contributor);
    if (before) for (const [set, e] of before) this.count(set, e, -1);
    if (elements.length) this.of.set(contributor, elements);
    else this.of.delete(contributor);
    for (const [set, e] of elements) this.count(set, e, 1);
  }

  private count(set: string, e: string, by: 1 | -1): void {
    const counts = this.counts.get(set) ?? this.counts.set(set, new Map()).get(set)!;
    const n = (counts.get(e) ?? 0) + by;
    if (n) counts.set(e, n);
    else counts.delete(e);
    if (n !== 0 && !(n === 1 && by === 1)) return;
    const p = this.pending.get(set) ?? this.pending.set(set, { added: new Set(), removed: new Set() }).get(set)!;
    // Gone and back (or back and gone) since the last arrays(): no change.
    if (by === 1) (p.removed.has(e) ? p.removed.delete(e) : p.added.add(e));
    else (p.added.has(e) ? p.added.delete(e) : p.removed.add(e));
  }

  /** The sorted elements of `set`: the same array as last time when nothing of it changed. */
  array(set: string): readonly string[] {
    const p = this.pending.get(set);
    const before = this.sorted.get(set) ?? [];
    if (!p || (p.added.size === 0 && p.removed.size === 0)) {
      this.pending.delete(set);
      this.sorted.set(set, before);
      return before;
    }
    this.pending.delete(set);
    let next: string[];
    if (p.added.size + p.removed.size > 64) next = [...(this.counts.get(set)?.keys() ?? [])].sort();
    else {
      next = before.slice();
      for (const e of p.removed) next.splice(placeOf(next, e), 1);
      for (const e of p.added) next.splice(placeOf(next, e), 0, e);
    }
    // Only the last step is kept: `before`'s own entry would hold the array it came from, and so on
    // back to the first (every version of every set, 250 MB at 4,500 workloads). A diff that spans
    // two steps compares the arrays instead.
    derived.delete(before);
    derived.set(next, { from: before, added: [...p.added].sort(), removed: [...p.removed].sort() });
    this.sorted.set(set, next);
    return next;
  }

  /** Contributors known (workload ids and the networks' part). */
  contributors(): IterableIterator<string> {
    return this.of.keys();
  }
}
