// Which of the endpoint index's label lists changed between compiles: a service whose selection list
// did not change selects the same endpoints with the same data, so its fragment is reused as is.
import type { EndpointIndex } from "./endpoints";

export class LabelListChanges {
  /** Each list's members and their data, as one string, at the last compile. */
  private readonly known = new Map<string, string>();

  /**
   * Compares every list of this compile's index with the last one (O(workloads × labels), each
   * member by its key and labels digest) and
   * returns the keys of lists that changed, appeared or emptied: only services reading one of them
   * can select differently.
   */
  update(index: EndpointIndex): string[] {
    const changed: string[] = [];
    for (const [key, list] of index.byLabel) {
      const fingerprint = list.map((c) => `${c.key} ${c.labelsDigest}`).join("\n");
      if (this.known.get(key) === fingerprint) continue;
      this.known.set(key, fingerprint);
      changed.push(key);
    }
    // A list that emptied is a change too: its services recompile.
    for (const key of this.known.keys()) {
      if (index.byLabel.has(key)) continue;
      this.known.delete(key);
      changed.push(key);
    }
    return changed;
  }
}
