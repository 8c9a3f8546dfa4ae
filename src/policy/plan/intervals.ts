// Sets of closed integer intervals [lo, hi], kept sorted and disjoint. Addresses and the
// (protocol, port) line both use them, so ipBlock excepts, endPort ranges and "all ports"
// are the same arithmetic.

export interface Interval {
  lo: bigint;
  hi: bigint;
}

/** Sort, then merge overlapping and adjacent intervals. */
export function normalize(list: readonly Interval[]): Interval[] {
  const sorted = [...list].filter((i) => i.lo <= i.hi).sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.lo <= last.hi + 1n) {
      if (i.hi > last.hi) last.hi = i.hi;
    } else {
      out.push({ lo: i.lo, hi: i.hi });
    }
  }
  return out;
}

/** a minus b; both normalized. */
export function subtract(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const i of a) {
    let lo = i.lo;
    for (const h of b) {
      if (h.hi < lo || h.lo > i.hi) continue;
      if (h.lo > lo) out.push({ lo, hi: h.lo - 1n });
      lo = h.hi + 1n;
      if (lo > i.hi) break;
    }
    if (lo <= i.hi) out.push({ lo, hi: i.hi });
  }
  return out;
}

export function contains(set: readonly Interval[], v: bigint): boolean {
  for (const i of set) if (v >= i.lo && v <= i.hi) return true;
  return false;
}

export function intervalKey(set: readonly Interval[]): string {
  return set.map((i) => `${i.lo}-${i.hi}`).join(",");
}
