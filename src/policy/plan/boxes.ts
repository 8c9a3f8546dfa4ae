import { intervalKey, normalize, type Interval } from "./intervals";

// Turns overlapping rules into DISJOINT boxes for one interval-keyed nft map: the kernel's
// concatenated-range sets reject overlapping elements, and a map element can carry only one
// decision id. Each rule is a union of (address set x port-line set) products with a rank
// (smaller = earlier policy/rule); every point of the union gets the smallest rank covering it.

export interface Item {
  addrs: Interval[];
  line: Interval[];
  rank: number;
}

export interface Box {
  aLo: bigint;
  aHi: bigint;
  lLo: bigint;
  lHi: bigint;
  rank: number;
}

interface Labeled {
  lo: bigint;
  hi: bigint;
  rank: number;
}

/** Splits a line into segments labeled with the minimum covering rank, adjacent equals merged. */
function labelLine(items: readonly Item[]): Labeled[] {
  const events = new Map<bigint, { rank: number; delta: number }[]>();
  const add = (at: bigint, rank: number, delta: number): void => {
    const list = events.get(at) ?? [];
    list.push({ rank, delta });
    events.set(at, list);
  };
  for (const it of items) for (const i of normalize(it.line)) { add(i.lo, it.rank, 1); add(i.hi + 1n, it.rank, -1); }
  const points = [...events.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const active = new Map<number, number>();
  const out: Labeled[] = [];
  for (let k = 0; k < points.length - 1; k++) {
    for (const e of events.get(points[k]!)!) {
      const n = (active.get(e.rank) ?? 0) + e.delta;
      if (n === 0) active.delete(e.rank); else active.set(e.rank, n);
    }
    if (active.size === 0) continue;
    const rank = Math.min(...active.keys());
    const lo = points[k]!;
    const hi = points[k + 1]! - 1n;
    const last = out[out.length - 1];
    if (last && last.rank === rank && last.hi + 1n === lo) last.hi = hi;
    else out.push({ lo, hi, rank });
  }
  return out;
}

export function decompose(items: readonly Item[]): Box[] {
  const live = items.map((it) => ({ ...it, addrs: normalize(it.addrs), line: normalize(it.line) })).filter((it) => it.addrs.length > 0 && it.line.length > 0);
  const events = new Map<bigint, { item: number; delta: number }[]>();
  const add = (at: bigint, item: number, delta: number): void => {
    const list = events.get(at) ?? [];
    list.push({ item, delta });
    events.set(at, list);
  };
  live.forEach((it, n) => { for (const i of it.addrs) { add(i.lo, n, 1); add(i.hi + 1n, n, -1); } });
  const points = [...events.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const active = new Set<number>();
  const memo = new Map<string, { labels: Labeled[]; key: string }>();
  // Address segments with the same line labeling are merged when adjacent.
  const segs: { lo: bigint; hi: bigint; labels: Labeled[]; key: string }[] = [];
  for (let k = 0; k < points.length - 1; k++) {
    for (const e of events.get(points[k]!)!) {
      if (e.delta > 0) active.add(e.item); else active.delete(e.item);
    }
    if (active.size === 0) continue;
    const activeKey = [...active].sort((a, b) => a - b).join(",");
    let labeled = memo.get(activeKey);
    if (!labeled) {
      const labels = labelLine([...active].map((n) => live[n]!));
      labeled = { labels, key: labels.map((l) => `${l.lo}-${l.hi}:${l.rank}`).join(",") };
      memo.set(activeKey, labeled);
    }
    const lo = points[k]!;
    const hi = points[k + 1]! - 1n;
    const last = segs[segs.length - 1];
    if (last && last.key === labeled.key && last.hi + 1n === lo) last.hi = hi;
    else segs.push({ lo, hi, labels: labeled.labels, key: labeled.key });
  }
  const out: Box[] = [];
  for (const s of segs) for (const l of s.labels) out.push({ aLo: s.lo, aHi: s.hi, lLo: l.lo, lHi: l.hi, rank: l.rank });
  return out;
}

/** A stable key for a list of items, to share the work between subjects with equal rules. */
export function itemsKey(items: readonly Item[]): string {
  return items.map((it) => `${it.rank}|${intervalKey(normalize(it.addrs))}|${intervalKey(normalize(it.line))}`).join(";");
}
