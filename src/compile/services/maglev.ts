// Maglev consistent hashing (Eisenbud et al., NSDI'16): a lookup table of prime size M where each
// backend fills slots along its own permutation. Removing one of N backends moves ~1/N of the slots.
import { createHash } from "node:crypto";

/** Table sizes: prime, ~100 slots per backend keeps the shares within ~1%. */
const PRIMES = [1021, 2039, 4093, 8191, 16381, 32749, 65521];

/**
 * The size must not change when a backend leaves (it would reshuffle every flow), so it only
 * grows in big steps: 1021 up to 10 backends, then the next prime >= 100 per backend.
 */
export function maglevSize(backends: number): number {
  return PRIMES.find((p) => p >= backends * 100) ?? PRIMES[PRIMES.length - 1]!;
}

function h(text: string, seed: string): number {
  return createHash("sha256").update(seed).update(text).digest().readUInt32BE(0);
}

/** Slot -> backend index. Backends are identified by a stable key (the workload name), not their order. */
export function maglevTable(keys: string[], m = maglevSize(keys.length)): number[] {
  const n = keys.length;
  const table = new Array<number>(m).fill(-1);
  if (n === 0) return [];
  const offset = keys.map((k) => h(k, "offset") % m);
  const skip = keys.map((k) => (h(k, "skip") % (m - 1)) + 1);
  const next = new Array<number>(n).fill(0);
  let filled = 0;
  for (;;) {
    for (let i = 0; i < n; i++) {
      let c = (offset[i]! + next[i]! * skip[i]!) % m;
      while (table[c]! >= 0) {
        next[i]!++;
        c = (offset[i]! + next[i]! * skip[i]!) % m;
      }
      table[c] = i;
      next[i]!++;
      if (++filled === m) return table;
    }
  }
}

/** Runs of equal slots as [from, to, backend]: the nft map gets ranges instead of M elements. */
export function runs(table: number[]): [number, number, number][] {
  const out: [number, number, number][] = [];
  table.forEach((b, i) => {
    const last = out[out.length - 1];
    if (last && last[2] === b && last[1] === i - 1) last[1] = i;
    else out.push([i, i, b]);
  });
  return out;
}
