// What changed between two of the store's shared lists: it hands out the same frozen record for
// what a write left alone (doc-cache.ts), so a change is found by identity, one lookup per record,
// and what is derived per record can be kept and updated instead of rebuilt (issue 20).
import type { Attachment, Workload } from "./types";
import { writtenBetween } from "./list-journal";

/** A workload's key, as the store keys it (its journal answers only readers keyed by this function). */
export const workloadKey = (w: Workload) => w.id;
/** An attachment's key, as the store keys it. */
export const attachmentKey = (a: Pick<Attachment, "workloadId" | "networkId">) => `${a.workloadId}\t${a.networkId}`;

/**
 * The keys whose record is new, gone or another object; `known` (the records of `before` by key)
 * is updated to the list. Keys are unique in a list. What stayed at the same place at either end is
 * passed over by identity alone: only the window between (one record for a creation) is looked up.
 */
export function listDelta<T>(before: readonly T[] | undefined, list: readonly T[], known: Map<string, T>, key: (x: T) => string): Set<string> {
  const changed = new Set<string>();
  if (before === list) return changed;
  // Two lists of the store: what was written between them, without a pass over either.
  const written = before && writtenBetween(before, list, key);
  if (written) {
    for (const [k, doc] of written) {
      if (known.get(k) === doc) continue;
      changed.add(k);
      if (doc === undefined) known.delete(k);
      else known.set(k, doc);
    }
    return changed;
  }
  let head = 0;
  let tail = 0;
  if (before) {
    const most = Math.min(before.length, list.length);
    while (head < most && before[head] === list[head]) head++;
    while (tail < most - head && before[before.length - 1 - tail] === list[list.length - 1 - tail]) tail++;
  }
  const window = new Set<string>();
  for (let i = head; i < list.length - tail; i++) {
    const x = list[i]!;
    const k = key(x);
    window.add(k);
    if (known.get(k) !== x) {
      changed.add(k);
      known.set(k, x);
    }
  }
  // What left the window of the old list and is not in the new one went (a key lives in one place).
  const gone = before ? before.slice(head, before.length - tail).map(key) : [...known.keys()];
  for (const k of gone) {
    if (window.has(k)) continue;
    known.delete(k);
    changed.add(k);
  }
  return changed;
}
