// The binary search every sorted list kept per change uses (issue 20: sorted once, then moved by
// what a change wrote, instead of sorted whole per change).

/** The first place in `list` whose item is not `before` the one sought (where it is, or goes). */
export function lowerBound<T>(list: readonly T[], before: (item: T) => boolean): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(list[mid]!)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
