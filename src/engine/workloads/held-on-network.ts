// What each network holds (its attachments' count, addresses and host ends), kept per change for
// address allocation (issue 20): a creation filtered every attachment of the host and made a Set of
// every address of its network, a pass over every workload per creation. The store hands out the
// same frozen record for what a write left alone (doc-cache.ts), so what changed is found by
// identity (list-delta.ts) and only that moves its network's counts. Equal to a count over the
// list after every change: held-on-network.test.ts.
import type { Attachment } from "../../model/types";
import { attachmentKey, listDelta } from "../../model/list-delta";

/** A set of strings counted per holder: has() while one holder is left (two attachments may share a value). */
export class CountedSet {
  private readonly counts = new Map<string, number>();
  has(x: string): boolean {
    return this.counts.has(x);
  }
  /** Distinct values, as a Set of them would count. */
  get size(): number {
    return this.counts.size;
  }
  add(x: string | undefined): void {
    if (x) this.counts.set(x, (this.counts.get(x) ?? 0) + 1);
  }
  remove(x: string | undefined): void {
    if (!x) return;
    const n = this.counts.get(x) ?? 0;
    if (n <= 1) this.counts.delete(x);
    else this.counts.set(x, n - 1);
  }
  values(): string[] {
    return [...this.counts.keys()];
  }
}

export interface NetworkHeld {
  /** Attachments on the network. */
  count: number;
  ip4: CountedSet;
  ip6: CountedSet;
  hostIfnames: CountedSet;
}

const emptyHeld = (): NetworkHeld => ({ count: 0, ip4: new CountedSet(), ip6: new CountedSet(), hostIfnames: new CountedSet() });

export class HeldOnNetworks {
  private list: readonly Attachment[] | undefined;
  /** The records of the list by key (listDelta's), and what each counted for. */
  private readonly known = new Map<string, Attachment>();
  private readonly counted = new Map<string, Attachment>();
  private readonly nets = new Map<string, NetworkHeld>();

  /** What `networkId` holds in `attachments` (the store's shared list). */
  of(attachments: readonly Attachment[], networkId: string): NetworkHeld {
    for (const k of listDelta(this.list, attachments, this.known, attachmentKey)) {
      const was = this.counted.get(k);
      const now = this.known.get(k);
      if (was) this.count(was, -1);
      if (now) this.count(now, 1);
      if (now) this.counted.set(k, now);
      else this.counted.delete(k);
    }
    this.list = attachments;
    return this.nets.get(networkId) ?? emptyHeld();
  }

  private count(a: Attachment, by: 1 | -1): void {
    let held = this.nets.get(a.networkId);
    if (!held) this.nets.set(a.networkId, (held = emptyHeld()));
    held.count += by;
    const op = by === 1 ? "add" : "remove";
    held.ip4[op](a.ip4);
    held.ip6[op](a.ip6);
    held.hostIfnames[op](a.hostIfname);
    if (held.count === 0) this.nets.delete(a.networkId);
  }
}
