// The store's workloads and attachments mirrored by key and updated by identity (list-delta.ts):
// what an index kept per workload (the DNS records, the healer's inside set) learns from a change.
import type { Attachment, DesiredState, Workload } from "./types";
import { attachmentKey, listDelta, workloadKey } from "./list-delta";

export class WorkloadMirror {
  workloadList: readonly Workload[] | undefined;
  attachmentList: readonly Attachment[] | undefined;
  readonly workloads = new Map<string, Workload>();
  readonly attachments = new Map<string, Attachment>();
  /** Workload id → its attachments' keys. */
  readonly attsOf = new Map<string, Set<string>>();

  /** Takes the state's lists; the workloads (ids) and attachments (keys) that are new, gone or changed — a changed attachment's workload counts as changed. */
  update(state: Pick<DesiredState, "workloads" | "attachments">): { workloads: Set<string>; attachments: Set<string> } {
    const workloads = listDelta(this.workloadList, state.workloads, this.workloads, workloadKey);
    const attachments = listDelta(this.attachmentList, state.attachments, this.attachments, attachmentKey);
    this.workloadList = state.workloads;
    this.attachmentList = state.attachments;
    for (const k of attachments) {
      const wid = k.slice(0, k.indexOf("\t"));
      workloads.add(wid);
      const set = this.attsOf.get(wid) ?? new Set<string>();
      if (this.attachments.has(k)) set.add(k);
      else set.delete(k);
      if (set.size) this.attsOf.set(wid, set);
      else this.attsOf.delete(wid);
    }
    return { workloads, attachments };
  }

  clear(): void {
    this.workloadList = this.attachmentList = undefined;
    for (const m of [this.workloads, this.attachments, this.attsOf]) m.clear();
  }
}
