// This node's workloads on cluster networks, published under /ponton/workloads/NODE/ under its
// lease: when the node dies its records vanish with the lease, and every other node drops them.
// Each publish is one transaction (every put and delete, or none), made only while the node's
// `alive` key exists (a lease lost meanwhile: everything is published again under the new one).
import type { Etcd3 } from "etcd3";
import { WORKLOADS, nodeAliveKey, workloadKey } from "../keys";
import { Rerun } from "../loop";
import type { Membership } from "../membership";
import type { WorkloadRecord } from "./workload-records";

export class WorkloadPublisher {
  /** What etcd holds of ours (key → JSON), as of our last successful transaction. */
  private published = new Map<string, string>();
  private lease: string | undefined;
  private readonly loop: Rerun;

  constructor(
    private readonly etcd: Etcd3,
    private readonly membership: Membership,
    private readonly records: () => WorkloadRecord[],
  ) {
    this.loop = new Rerun("publish workloads", () => this.publishOnce());
  }

  /** Publish what changed (called after every local change; cheap when nothing did). */
  publish(): Promise<void> {
    return this.loop.run();
  }

  private async publishOnce(): Promise<void> {
    const lease = await this.membership.leaseId();
    if (!lease) throw new Error("no lease yet (etcd away?)");
    const fresh = lease !== this.lease;
    if (fresh) {
      // A new lease (start, or the old one expired): what is there may be under an older lease of
      // ours (a restart), which would take it away when it expires — so every record is put again.
      const held = await this.etcd.getAll().prefix(`${WORKLOADS}${this.membership.spec.nodeName}/`).strings();
      this.published = new Map(Object.entries(held));
      this.lease = lease;
    }
    const want = new Map(this.records().map((r) => [workloadKey(r.node, r.id), JSON.stringify(r)]));
    const puts = [...want].filter(([k, v]) => fresh || this.published.get(k) !== v);
    const dels = [...this.published.keys()].filter((k) => !want.has(k));
    if (!puts.length && !dels.length) return;
    const ops = [...puts.map(([k, v]) => this.etcd.put(k).value(v).lease(lease)), ...dels.map((k) => this.etcd.delete().key(k))];
    const r = await this.etcd.if(nodeAliveKey(this.membership.spec.nodeName), "Version", ">", 0).then(...ops).commit();
    if (!r.succeeded) {
      this.lease = undefined;
      throw new Error("this node's lease ended; publishing again once it is renewed");
    }
    this.published = want;
  }

  close(): void {
    this.loop.close();
  }
}
