// What changed between two of the store's shared lists: it hands out the same frozen record for
// what a write left alone (doc-cache.ts), so a change is found by identity, one lookup per record,
// and what is derived per record can be kept and updated instead of rebuilt (issue 20).
import type { Attachment } from "../model/types";

/** An attachment's key, as the store keys it. */
export const attachmentKey = (a: Attachment) => `${a.workloadId}\t${a.networkId}`;

/**
 * The keys whose record is new, gone or another object; `known` is updated to the list. The same
 * list is skipped at once; otherwise one lookup per record (no copy of the list).
 */
export function listDelta<T>(before: readonly T[] | undefined, list: readonly T[], known: Map<string, T>, key: (x: T) => string): Set<string> {
  const changed = new Set<string>();
  if (before === list) return changed;
  for (const x of list) {
    const k = key(x);
    const had = known.get(k);
    if (had !== x) {
      changed.add(k);
      known.set(k, x);
    }
  }
  // Unique keys: more known than listed means some went.
  if (known.size > list.length) {
    const keys = new Set(list.map(key));
    for (const k of known.keys()) {
      if (keys.has(k)) continue;
      known.delete(k);
      changed.add(k);
    }
  }
  return changed;
}
