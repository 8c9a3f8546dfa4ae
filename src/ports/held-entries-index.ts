// The port holder's sockets kept per change: the publishing workloads are found among those a
// change wrote (WorkloadMirror), not by a pass over every workload, which at 6,000 workloads was a
// tenth of the daemon's time per creation (issue 20). Equal to heldEntries (held-entries-index.test.ts).
import { byText } from "../model/by-text";
import type { Attachment, DesiredState, Workload } from "../model/types";
import { crossesHost } from "../model/networks/drivers";
import { WorkloadMirror } from "../model/workload-mirror";
import type { HoldEntry } from "./holder-protocol";
import { entriesFor, publishes } from "./held-ports";

export class HeldEntriesIndex {
  private readonly mirror = new WorkloadMirror();
  private readonly publishing = new Map<string, Workload>();

  entries(state: DesiredState): HoldEntry[] {
    for (const id of this.mirror.update(state).workloads) {
      const w = this.mirror.workloads.get(id);
      if (w && publishes(w)) this.publishing.set(id, w);
      else this.publishing.delete(id);
    }
    const networks = new Map(state.networks.map((n) => [n.id, n]));
    const attachmentsOf = (id: string): Attachment[] =>
      [...(this.mirror.attsOf.get(id) ?? [])]
        .map((k) => this.mirror.attachments.get(k)!)
        .filter((a) => crossesHost(networks.get(a.networkId)))
        .sort((a, b) => byText(a.networkId, b.networkId));
    const publishing = [...this.publishing.values()].sort((a, b) => byText(a.name, b.name));
    return entriesFor(publishing, attachmentsOf, networks, state.services);
  }
}
