// A seeded generator for the randomized equivalence tests (an index kept per change against a full
// rebuild): the same seed replays the same series of changes.

/** Returns `(n) => an integer in [0, n)`, from a linear congruential series seeded with `seed`. */
export function seededInts(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}
