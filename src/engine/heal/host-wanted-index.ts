// wantedObjects() (damage.ts) kept and updated by the workloads and attachments a change wrote,
// found by identity in the store's shared lists (WorkloadMirror), as the inside set is
// (inside-wanted-index.ts): building it whole per change was 4.4% of pontond's busy time at 2,000
// workloads (issue 20). The networks' part is built whole when they change (tens of records).
// Equal to wantedObjects() (host-wanted-index.test.ts).
import type { DesiredState, Workload } from "../../model/types";
import { WorkloadMirror } from "../../model/workload-mirror";
import { wantedObjects, workloadWants, type Wanted } from "./damage";

type Wants = ReturnType<typeof workloadWants>;

export class HostWantedIndex {
  private readonly mirror = new WorkloadMirror();
  private networks: string | undefined;
  private routed: ReadonlySet<string> = new Set();
  /** What each kept workload added, and how many contributions hold each link, route and namespace. */
  private readonly wantsOf = new Map<string, Wants>();
  private readonly counts = new Map<string, number>();
  wanted: Wanted = { links: new Map(), addrs: new Set(), routes: new Set(), netns: new Set() };

  constructor(private readonly kept: (w: Workload) => boolean) {}

  update(state: DesiredState): Wanted {
    const networks = JSON.stringify(state.networks);
    if (networks !== this.networks) {
      this.networks = networks;
      this.mirror.clear();
      this.wantsOf.clear();
      this.counts.clear();
      this.routed = new Set(state.networks.filter((n) => n.driver === "routed").map((n) => n.id));
      // The networks' own objects: what wantedObjects wants of no workload.
      this.wanted = wantedObjects({ ...state, workloads: [], attachments: [] }, this.kept);
      for (const name of this.wanted.links.keys()) this.count(`l ${name}`, 1);
      for (const r of this.wanted.routes) this.count(`r ${r}`, 1);
    }
    const { workloads } = this.mirror.update(state);
    for (const id of workloads) {
      const before = this.wantsOf.get(id);
      if (before) this.apply(before, -1);
      this.wantsOf.delete(id);
      const w = this.mirror.workloads.get(id);
      if (!w || !this.kept(w)) continue;
      const atts = [...(this.mirror.attsOf.get(id) ?? [])].map((k) => this.mirror.attachments.get(k)!);
      const now = workloadWants(w, atts, this.routed);
      this.apply(now, 1);
      this.wantsOf.set(id, now);
    }
    return this.wanted;
  }

  private count(key: string, by: 1 | -1): number {
    const n = (this.counts.get(key) ?? 0) + by;
    if (n) this.counts.set(key, n);
    else this.counts.delete(key);
    return n;
  }

  private apply(wants: Wants, by: 1 | -1): void {
    const { links, routes, netns } = this.wanted;
    for (const [name, port] of wants.links) {
      const n = this.count(`l ${name}`, by);
      if (by > 0) links.set(name, { port });
      else if (n === 0) links.delete(name);
    }
    for (const r of wants.routes) {
      if (by > 0) (this.count(`r ${r}`, 1), routes.add(r));
      else if (this.count(`r ${r}`, -1) === 0) routes.delete(r);
    }
    for (const ns of wants.netns) {
      if (by > 0) (this.count(`n ${ns}`, 1), netns.add(ns));
      else if (this.count(`n ${ns}`, -1) === 0) netns.delete(ns);
    }
  }
}
