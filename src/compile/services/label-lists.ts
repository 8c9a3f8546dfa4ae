// Versions of the endpoint index's label lists between compiles: a service whose selection list
// kept its version selects the same endpoints with the same data, so its fragment is reused as is.
import type { EndpointIndex } from "./endpoints";

export class LabelListVersions {
  private readonly known = new Map<string, { fingerprint: string; version: number }>();
  private next = 1;

  /**
   * Compares every list of this compile's index with the last one (O(workloads × labels)) and
   * returns the keys of lists that changed, appeared or emptied: only services reading one of them
   * can select differently.
   */
  update(index: EndpointIndex): string[] {
    const changed: string[] = [];
    for (const [key, list] of index.byLabel) {
      const fingerprint = list.map((c) => `${c.key} ${JSON.stringify(c.labels)}`).join("\n");
      const was = this.known.get(key);
      if (was?.fingerprint === fingerprint) continue;
      this.known.set(key, { fingerprint, version: this.next++ });
      changed.push(key);
    }
    // A list that emptied reads as version 0 from now on: a different version, so its services recompile.
    for (const key of this.known.keys()) {
      if (index.byLabel.has(key)) continue;
      this.known.delete(key);
      changed.push(key);
    }
    return changed;
  }
}
