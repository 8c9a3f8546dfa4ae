// The endpoint index (endpoints.ts) kept per workload: a change finds what it wrote by identity in
// the store's frozen lists (WorkloadMirror) and moves only those workloads' candidates, instead of
// building a candidate for every workload per change (14% of pontond's busy time per creation at
// 2,000 workloads, issue 20). Randomized equivalence with the full build: endpoint-index-delta.test.ts.
import type { Attachment, DesiredState, Network, Workload } from "../../model/types";
import { WorkloadMirror } from "../../model/workload-mirror";
import { lowerBound } from "../../model/lower-bound";
import type { Candidate, EndpointIndex } from "./endpoints";

/** Candidate order: by name (unique on a host and across a cluster), then id (a total order). */
export const candidateOrder = (x: Candidate, y: Candidate) => (x.name < y.name ? -1 : x.name > y.name ? 1 : x.workloadId < y.workloadId ? -1 : x.workloadId > y.workloadId ? 1 : 0);

/** What a candidate's services read of it: equal, the candidate is kept (its lists do not change). */
const sameCandidate = (a: Candidate, b: Candidate) => a.key === b.key && a.labelsDigest === b.labelsDigest && a.namespace === b.namespace && a.name === b.name;

/** Where `c` goes in `list` (sorted by candidateOrder), or where it is. */
const placeOf = (list: readonly Candidate[], c: Candidate) => lowerBound(list, (x) => candidateOrder(x, c) < 0);

export type CandidateOf = (w: Workload, attachments: readonly Attachment[], networks: ReadonlyMap<string, Network>) => Candidate | undefined;
export type LabelKeys = (c: Candidate) => string[];

export class EndpointIndexDelta {
  private readonly mirror = new WorkloadMirror();
  private readonly byId = new Map<string, Candidate>();
  private networks: ReadonlyMap<string, Network> = new Map();
  private networksKey: string | undefined;
  private index: EndpointIndex | undefined;

  constructor(private readonly candidateOf: CandidateOf, private readonly labelKeys: LabelKeys) {}

  /**
   * The index of `state`, whose lists must be the store's frozen ones. `networksKey`: what the
   * candidates read of the networks; another one rebuilds. The last index's `byLabel` is updated in
   * place (a list that changes is a new array): an index is read until the next one is asked for.
   */
  update(state: DesiredState, networksKey: string): EndpointIndex {
    if (networksKey !== this.networksKey || !this.index) {
      this.mirror.clear();
      this.byId.clear();
      this.networksKey = networksKey;
      this.networks = new Map(state.networks.map((n) => [n.id, n]));
      this.index = { candidates: [], byLabel: new Map() };
    }
    const { workloads } = this.mirror.update(state);
    if (workloads.size === 0) return this.index;
    const candidates = this.index.candidates.slice();
    const byLabel = this.index.byLabel;
    const changedLists = new Set<string>();
    const edit = (key: string, c: Candidate, add: boolean) => {
      const list = (byLabel.get(key) ?? []).slice();
      const at = placeOf(list, c);
      if (add) list.splice(at, 0, c);
      else list.splice(at, 1);
      if (list.length) byLabel.set(key, list);
      else byLabel.delete(key);
      changedLists.add(key);
    };
    for (const id of workloads) {
      const old = this.byId.get(id);
      const w = this.mirror.workloads.get(id);
      const atts = [...(this.mirror.attsOf.get(id) ?? [])].map((k) => this.mirror.attachments.get(k)!);
      const next = w ? this.candidateOf(w, atts, this.networks) : undefined;
      if (old && next && sameCandidate(old, next)) continue;
      if (old) {
        candidates.splice(placeOf(candidates, old), 1);
        for (const k of this.labelKeys(old)) edit(k, old, false);
        this.byId.delete(id);
      }
      if (next) {
        candidates.splice(placeOf(candidates, next), 0, next);
        for (const k of this.labelKeys(next)) edit(k, next, true);
        this.byId.set(id, next);
      }
    }
    // Only the last step is kept: an older index is no one's to compare with (and would pin its lists).
    delete this.index.changed;
    this.index = { candidates, byLabel, changed: { from: this.index, lists: changedLists } };
    return this.index;
  }
}
