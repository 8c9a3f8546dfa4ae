// insideWanted() kept and updated by the workloads and attachments a change wrote (found by
// identity in the store's shared lists): building it whole after every change was 13% of
// pontond's time at 2,750 workloads (issue 20). Equal to insideWanted() (inside-wanted-index.test.ts),
// as long as the lists keep their records' order relative to each other (the store's are sorted).
import type { DesiredState, Workload } from "../../model/types";
import { WorkloadMirror } from "../../model/workload-mirror";
import { namedNetns, type InsideWant } from "./inside-damage";

export class InsideWantedIndex {
  private readonly mirror = new WorkloadMirror();
  /** Kept workload → its namespace, and namespace → the kept workloads in it. */
  private readonly nsOf = new Map<string, string>();
  private readonly members = new Map<string, Set<string>>();
  /** Namespace name → what must stay in it (insideWanted's result, kept). */
  readonly wanted = new Map<string, InsideWant>();

  constructor(private readonly kept: (w: Workload) => boolean) {}

  /** Takes the state; returns the namespaces that came and went. */
  update(state: DesiredState): { added: string[]; removed: string[] } {
    const { workloads: changedW } = this.mirror.update(state);
    const touched = new Set<string>();
    for (const wid of changedW) {
      const w = this.mirror.workloads.get(wid);
      const before = this.nsOf.get(wid);
      const now = w && this.kept(w) ? namedNetns(w) : undefined;
      if (before !== undefined) touched.add(before);
      if (now !== undefined) touched.add(now);
      if (before === now) continue;
      if (before !== undefined) {
        const m = this.members.get(before)!;
        m.delete(wid);
        if (!m.size) this.members.delete(before);
        this.nsOf.delete(wid);
      }
      if (now !== undefined) {
        (this.members.get(now) ?? this.members.set(now, new Set()).get(now)!).add(wid);
        this.nsOf.set(wid, now);
      }
    }
    const added: string[] = [];
    const removed: string[] = [];
    for (const ns of touched) {
      const had = this.wanted.has(ns);
      const want = this.build(ns);
      if (want) this.wanted.set(ns, want);
      else this.wanted.delete(ns);
      if (want && !had) added.push(ns);
      if (!want && had) removed.push(ns);
    }
    return { added, removed };
  }

  /** One namespace's want: the first of its workloads in list order keeps it, all their interfaces count. */
  private build(ns: string): InsideWant | undefined {
    const ids = [...(this.members.get(ns) ?? [])];
    if (!ids.length) return undefined;
    if (ids.length > 1) {
      const order = new Map((this.mirror.workloadList ?? []).map((w, i) => [w.id, i]));
      ids.sort((a, b) => order.get(a)! - order.get(b)!);
    }
    const want: InsideWant = { workloadId: ids[0]!, ifnames: new Set(), addrs: new Set() };
    for (const k of ids.flatMap((id) => [...(this.mirror.attsOf.get(id) ?? [])])) {
      const a = this.mirror.attachments.get(k)!;
      want.ifnames.add(a.ifname);
      for (const ip of [a.ip4, a.ip6]) if (ip) want.addrs.add(ip);
    }
    return want;
  }
}
