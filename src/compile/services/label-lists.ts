// Which of the endpoint index's label lists changed between compiles: a service whose selection list
// did not change selects the same endpoints with the same data, so its fragment is reused as is.
import type { EndpointIndex } from "./endpoints";

export class LabelListChanges {
  /** Each list's members and their data, as one string, at the last compile. */
  private readonly known = new Map<string, string>();
  /** The index of the last update. */
  private seen: EndpointIndex | undefined;

  /**
   * Compares every list of this compile's index with the last one (O(workloads × labels), each
   * member by its key and labels digest; only the lists it moved when the index was kept from the
   * last one) and
   * returns the keys of lists that changed, appeared or emptied: only services reading one of them
   * can select differently.
   */
  update(index: EndpointIndex): string[] {
    const changed: string[] = [];
    // An index kept per change (endpoint-index-delta.ts) from the one seen last names the lists it moved.
    const delta = index.changed && index.changed.from === this.seen ? index.changed.lists : undefined;
    this.seen = index;
    for (const [key, list] of delta ? [...delta].map((k) => [k, index.byLabel.get(k)] as const) : index.byLabel) {
      if (!list) {
        if (this.known.delete(key)) changed.push(key);
        continue;
      }
      const fingerprint = list.map((c) => `${c.key} ${c.labelsDigest}`).join("\n");
      if (this.known.get(key) === fingerprint) continue;
      this.known.set(key, fingerprint);
      changed.push(key);
    }
    if (delta) return changed;
    // A list that emptied is a change too: its services recompile.
    for (const key of this.known.keys()) {
      if (index.byLabel.has(key)) continue;
      this.known.delete(key);
      changed.push(key);
    }
    return changed;
  }
}
