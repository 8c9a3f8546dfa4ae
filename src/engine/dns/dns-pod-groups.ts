// The Kubernetes pod record groups every view lists, kept per change (issue 20): sharedGroups()
// built a map of every workload and a key per attachment on every DNS sync, a pass over every
// workload per creation (~10% of pontond's time at 1,500). Here only the attachments and workloads
// a change wrote (found by identity, WorkloadMirror) move their group. Groups are listed in the
// order of their first holder in the attachment list; that order is kept while the list is in the
// store's order (by workload, then network), checked around what changed; a list in another order
// (a cluster's remote workloads appended) is rebuilt whole. Each update also says which groups it
// placed and took out since the list it handed out before (`delta`), so the DNS sync need not walk
// every group per creation. Equal to sharedGroups' pod groups after every change, and the delta to
// the lists' difference: dns-pod-groups.test.ts.
import type { Attachment, DesiredState, Workload } from "../../model/types";
import { crossesHost } from "../../model/networks/drivers";
import { attachmentKey } from "../../model/list-delta";
import { writtenBetween } from "../../model/list-journal";
import { lowerBound } from "../../model/lower-bound";
import { WorkloadMirror } from "../../model/workload-mirror";
import { answersDns, FixedGroup, podGroupKey, podRecords, type PodGroups } from "./dns-records";

/** The first place in `keys` (sorted) not before `k`. */
const place = (keys: readonly string[], k: string) => lowerBound(keys, (x) => x < k);

/** Whether the list is in the store's order (strictly increasing attachment keys) from `from` to `to` (exclusive), and across both ends. */
function inOrder(list: readonly Attachment[], from: number, to: number): boolean {
  const lo = Math.max(0, from - 1);
  const hi = Math.min(list.length, to + 1);
  for (let i = lo + 1; i < hi; i++) if (!(attachmentKey(list[i - 1]!) < attachmentKey(list[i]!))) return false;
  return true;
}

export class PodGroupIndex {
  private basis = "";
  private bridges = new Set<string>();
  private readonly mirror = new WorkloadMirror();
  /** Whether the mirrored list was in the store's order (the kept order below is then right). */
  private sorted = false;
  /** Attachment key → its pod group key, for attachments that hold pod records. */
  private readonly podOf = new Map<string, string>();
  /** Pod group key → the attachments holding it, sorted; the first gives the group's place. */
  private readonly holders = new Map<string, string[]>();
  private readonly groups = new Map<string, FixedGroup>();
  /** Each group's first holder, sorted, and the groups in the same order. */
  private firsts: string[] = [];
  private ordered: FixedGroup[] = [];
  private list: readonly FixedGroup[] | undefined;
  /** The list update() handed out last from the kept groups (undefined after a full build), and the groups placed and taken out since. */
  private handed: readonly FixedGroup[] | undefined;
  private placed = new Set<FixedGroup>();
  private unplaced = new Set<FixedGroup>();
  /** What the last update() changed in the list it handed out before (for SentViews: the list is not walked). */
  delta: { base: readonly FixedGroup[] | undefined; removed: ReadonlySet<FixedGroup>; added: ReadonlySet<FixedGroup> } = { base: undefined, removed: new Set(), added: new Set() };
  /** For a list in another order: the groups of the last full build, by key (the same object while they stay). */
  private readonly rebuilt: PodGroups = new Map();

  /** The pod groups of this state, in sharedGroups' order: the same array while none changed. */
  update(state: Pick<DesiredState, "networks" | "workloads" | "attachments">): readonly FixedGroup[] {
    const bridges = state.networks.filter(crossesHost).map((n) => n.id);
    const basis = bridges.join(" ");
    if (basis !== this.basis) this.reset(basis, bridges);
    const before = this.mirror.attachmentList;
    const list = state.attachments;
    this.sorted = before !== undefined && this.sorted ? this.orderKept(before, list) : inOrder(list, 0, list.length);
    if (!this.sorted) {
      this.mirror.clear();
      const built = this.fullBuild(state);
      this.delta = { base: undefined, removed: new Set(), added: new Set() };
      return built;
    }
    const { workloads, attachments } = this.mirror.update(state);
    for (const wid of workloads) for (const k of this.mirror.attsOf.get(wid) ?? []) attachments.add(k);
    for (const k of attachments) this.attachmentChanged(k);
    const groups = (this.list ??= Object.freeze(this.ordered.slice()));
    this.delta = { base: this.handed, removed: this.unplaced, added: this.placed };
    this.handed = groups;
    this.placed = new Set();
    this.unplaced = new Set();
    return groups;
  }

  /** The new list is in order if the old one was and what lies between their common ends is. */
  private orderKept(before: readonly Attachment[], list: readonly Attachment[]): boolean {
    if (before === list) return true;
    // Two lists of the store's journal: it keeps every list it hands out in its order (doc-cache.ts).
    if (writtenBetween(before, list, attachmentKey)) return true;
    const most = Math.min(before.length, list.length);
    let head = 0;
    let tail = 0;
    while (head < most && before[head] === list[head]) head++;
    while (tail < most - head && before[before.length - 1 - tail] === list[list.length - 1 - tail]) tail++;
    return inOrder(list, head, list.length - tail);
  }

  private attachmentChanged(k: string): void {
    const a = this.mirror.attachments.get(k);
    const w: Workload | undefined = a && this.mirror.workloads.get(a.workloadId);
    const now = a && w && answersDns(w) && this.bridges.has(a.networkId) ? podGroupKey(w, a) : undefined;
    const was = this.podOf.get(k);
    if (was === now) return;
    if (was !== undefined) this.unhold(was, k);
    if (now !== undefined) {
      this.podOf.set(k, now);
      this.hold(now, k, w!, a!);
    } else this.podOf.delete(k);
  }

  private hold(key: string, k: string, w: Workload, a: Attachment): void {
    const held = this.holders.get(key);
    if (!held) {
      this.holders.set(key, [k]);
      const g = new FixedGroup(podRecords(w, a));
      this.groups.set(key, g);
      this.place(k, g);
      return;
    }
    const i = place(held, k);
    held.splice(i, 0, k);
    if (i === 0) {
      const g = this.groups.get(key)!;
      this.unplace(held[1]!);
      this.place(k, g);
    }
  }

  private unhold(key: string, k: string): void {
    const held = this.holders.get(key)!;
    const i = place(held, k);
    held.splice(i, 1);
    if (i !== 0) return;
    this.unplace(k);
    if (held.length) this.place(held[0]!, this.groups.get(key)!);
    else {
      this.holders.delete(key);
      this.groups.delete(key);
    }
  }

  private place(first: string, g: FixedGroup): void {
    const i = place(this.firsts, first);
    this.firsts.splice(i, 0, first);
    this.ordered.splice(i, 0, g);
    this.list = undefined;
    this.placed.add(g);
  }

  private unplace(first: string): void {
    const i = place(this.firsts, first);
    this.firsts.splice(i, 1);
    const [g] = this.ordered.splice(i, 1);
    this.list = undefined;
    // Placed since the list handed out: never listed there. Otherwise taken out (and maybe placed again: moved).
    if (!this.placed.delete(g!)) this.unplaced.add(g!);
  }

  /** sharedGroups' pass over every attachment, for a list not in the store's order. */
  private fullBuild(state: Pick<DesiredState, "workloads" | "attachments">): readonly FixedGroup[] {
    const workloads = new Map(state.workloads.filter(answersDns).map((w) => [w.id, w]));
    const next: PodGroups = new Map();
    for (const a of state.attachments) {
      const w = workloads.get(a.workloadId);
      if (!w || !this.bridges.has(a.networkId)) continue;
      const key = podGroupKey(w, a);
      if (!next.has(key)) next.set(key, this.rebuilt.get(key) ?? new FixedGroup(podRecords(w, a)));
    }
    this.rebuilt.clear();
    for (const [k, g] of next) this.rebuilt.set(k, g);
    this.resetKept();
    return [...next.values()];
  }

  private reset(basis: string, bridges: string[]): void {
    this.basis = basis;
    this.bridges = new Set(bridges);
    this.mirror.clear();
    this.resetKept();
  }

  private resetKept(): void {
    for (const m of [this.podOf, this.holders, this.groups]) m.clear();
    this.firsts = [];
    this.ordered = [];
    this.list = undefined;
    this.handed = undefined;
    this.placed = new Set();
    this.unplaced = new Set();
  }
}
