// Nearest-rank percentiles, as in the anchor scripts (common.sh), so figures compare like for like.
import { nowMs } from "./proc";

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  min: number;
  mean: number;
  total: number;
  first10Mean: number;
  last10Mean: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Samples in the order they were taken (first/last 10 show growth with N). */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: samples.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    min: sorted.length ? sorted[0] : NaN,
    mean: mean(samples),
    total: samples.reduce((a, b) => a + b, 0),
    first10Mean: mean(samples.slice(0, 10)),
    last10Mean: mean(samples.slice(-10)),
  };
}

/** Wall time of each of `n` sequential runs of `op`, in ms. */
export async function timeEach(n: number, op: (i: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = nowMs();
    await op(i);
    samples.push(nowMs() - t);
  }
  return samples;
}
