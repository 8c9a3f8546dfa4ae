// The state the compilers read in cluster mode (the other nodes' workloads added), made again only
// when what it is made from moved: the local workload and attachment lists (the store hands out the
// same frozen arrays until one is written), the cluster networks' local pieces, the remote table's
// version. Otherwise every caller gets the same frozen arrays, so the caches keyed on them (the
// endpoint index, DNS, the healer) hold across changes that move no workload — a policy, service or
// namespace edit, the second compile of one change — instead of rebuilding over every node's pods.
import type { DesiredState } from "../../model/types";
import { CLUSTER_NETWORK_LABEL, withRemoteWorkloads, type WorkloadRecord } from "./workload-records";

interface Made {
  workloads: object;
  attachments: object;
  pieces: string;
  version: number;
  out: Pick<DesiredState, "workloads" | "attachments">;
}

export class RemoteState {
  private last: Made | undefined;

  constructor(
    private readonly remote: { records: ReadonlyMap<string, WorkloadRecord>; version: number },
    private readonly self: string,
  ) {}

  extend(state: DesiredState): DesiredState {
    const pieces = state.networks.flatMap((n) => (n.labels[CLUSTER_NETWORK_LABEL] ? [`${n.labels[CLUSTER_NETWORK_LABEL]} ${n.id} ${n.subnet6 ?? ""}`] : [])).join("\n");
    const { version } = this.remote;
    const l = this.last;
    if (l && l.workloads === state.workloads && l.attachments === state.attachments && l.pieces === pieces && l.version === version) return { ...state, ...l.out };
    const made = withRemoteWorkloads(state, this.remote.records.values(), this.self);
    const out = { workloads: Object.freeze(made.workloads), attachments: Object.freeze(made.attachments) } as Made["out"];
    this.last = { workloads: state.workloads, attachments: state.attachments, pieces, version, out };
    return { ...state, ...out };
  }
}
