// A seeded world of workloads and attachments changed at random, for the equivalence tests of what
// is kept per change against a full pass (issue 20). A record a change did not write keeps its
// identity, as the store's do; lists are in the store's order (workloads by name, attachments by
// workload then network) unless `appended` (a cluster's remote records come last).
import type { Attachment, DesiredState, Workload } from "./types";
import { attachmentKey } from "./list-delta";
import { byText } from "./by-text";

/** What a test's records look like: the world decides when they are made and written again. */
export interface WorldShape {
  /** Network ids a workload is attached to (one or two of them, at random). */
  networks: readonly string[];
  workload(id: string): Workload;
  attachment(w: Workload, networkId: string): Attachment;
  /** The workload written again (another state, other ports…). */
  rewrite(w: Workload): Workload;
  /** The attachment written again (other addresses, aliases…). */
  reattach(a: Attachment): Attachment;
}

export class RandomWorld {
  workloads: Workload[] = [];
  attachments: Attachment[] = [];
  private next = 0;

  /** `r`: seededInts' generator, shared with the shape so that a seed replays the whole run. */
  constructor(
    private readonly r: (n: number) => number,
    private readonly shape: WorldShape,
    /** Leave the lists in the order changes came (may be switched between changes). */
    public appended = false,
  ) {}

  /** One random change: a workload made, removed or written again, an attachment added, removed or written again, or nothing. */
  change(): void {
    const { r, shape } = this;
    const op = r(9);
    const any = <T>(list: T[]) => list[r(list.length)]!;
    if (op <= 2 || this.workloads.length < 3) {
      const w = shape.workload(`w${String(this.next++).padStart(5, "0")}`);
      this.workloads = [...this.workloads, w];
      const nets = new Set([any([...shape.networks]), ...(r(3) === 0 ? [any([...shape.networks])] : [])]);
      this.attachments = [...this.attachments, ...[...nets].map((n) => shape.attachment(w, n))];
    } else if (op === 3) {
      const w = any(this.workloads);
      this.workloads = this.workloads.filter((x) => x !== w);
      this.attachments = this.attachments.filter((a) => a.workloadId !== w.id);
    } else if (op === 4 || op === 5) {
      const w = any(this.workloads);
      this.workloads = this.workloads.map((x) => (x === w ? shape.rewrite(w) : x));
    } else if (op === 6 && this.attachments.length) {
      const a = any(this.attachments);
      this.attachments = this.attachments.map((x) => (x === a ? shape.reattach(a) : x));
    } else if (op === 7 && this.attachments.length) {
      const a = any(this.attachments);
      this.attachments = this.attachments.filter((x) => x !== a);
    } else if (op === 8) {
      const w = any(this.workloads);
      const n = any([...shape.networks]);
      if (!this.attachments.some((a) => a.workloadId === w.id && a.networkId === n)) this.attachments = [...this.attachments, shape.attachment(w, n)];
    }
    if (!this.appended) {
      this.workloads = [...this.workloads].sort((a, b) => byText(a.name, b.name));
      this.attachments = [...this.attachments].sort((a, b) => byText(attachmentKey(a), attachmentKey(b)));
    }
  }

  /** The lists as a state, with what else the test gives. */
  state(rest: Omit<DesiredState, "workloads" | "attachments">): DesiredState {
    return { ...rest, workloads: this.workloads, attachments: this.attachments };
  }
}
