// Which workloads a compile must make elements for: the store's frozen lists are compared by
// identity with the last compile's (WorkloadMirror), and only the workloads a change wrote (or
// whose attachments it wrote) give their elements again (issue 20).
import type { Attachment, DesiredState, Workload } from "../../model/types";
import { WorkloadMirror } from "../../model/workload-mirror";
import { SetElements, type SetElement } from "./set-elements";

/** One workload's part of the plan: its set elements and its published ports' allow-lists ("proto . port" → prefixes). */
export interface WorkloadPart {
  elements: SetElement[];
  allow: [string, readonly string[]][];
}

export class KeptElements {
  private readonly mirror = new WorkloadMirror();
  private key: string | undefined;
  elements = new SetElements();
  /** Workloads with an allow-list (few): their lists, for the shared pub_allow sets. */
  readonly allowOf = new Map<string, [string, readonly string[]][]>();

  /** `key`: what the workloads' parts read besides their own records (the networks, options); another one starts over. */
  update(state: DesiredState, key: string, partOf: (w: Workload | undefined, attachments: Attachment[]) => WorkloadPart): void {
    if (key !== this.key) {
      this.key = key;
      this.mirror.clear();
      this.elements = new SetElements();
      this.allowOf.clear();
    }
    const { workloads } = this.mirror.update(state);
    for (const id of workloads) {
      const atts = [...(this.mirror.attsOf.get(id) ?? [])].map((k) => this.mirror.attachments.get(k)!);
      const part = partOf(this.mirror.workloads.get(id), atts);
      this.elements.set(id, part.elements);
      if (part.allow.length) this.allowOf.set(id, part.allow);
      else this.allowOf.delete(id);
    }
  }
}
