// Workload names are unique cluster-wide, as Kubernetes pod names are per namespace (and a node's
// names are unique across its namespaces): `run` reserves its name in etcd before it makes anything,
// by compare-and-create, so two nodes running one name at once get one workload and one NAME_IN_USE.
// The reservation names the node and outlives the node's lease (a dead node's workloads are its own
// again when it returns); the workload's removal releases it, and `node rm` releases a forgotten node's.
import type { Etcd3 } from "etcd3";
import { EngineError } from "../../errors";
import { etcdCall } from "../etcd";
import { WORKLOAD_NAMES, workloadNameKey } from "../keys";

export class WorkloadNames {
  constructor(
    private readonly etcd: Etcd3,
    private readonly self: string,
  ) {}

  /** Reserve NAME for this node; the undo releases it only if this call made it. */
  reserve(name: string): Promise<() => Promise<void>> {
    return etcdCall(`run ${name}: reserve the name`, async () => {
      const key = workloadNameKey(name);
      const r = await this.etcd.if(key, "Create", "==", 0).then(this.etcd.put(key).value(this.self)).else(this.etcd.get(key)).commit();
      if (r.succeeded) return () => this.release(name);
      const holder = r.responses[0]?.response_range?.kvs[0]?.value.toString();
      if (holder === this.self) return async () => undefined;
      throw new EngineError("NAME_IN_USE", `workload ${name} already exists on node ${holder}`, { hint: `names are unique across the cluster: 'ponton inspect ${name}' shows it from any node` });
    });
  }

  /** Release NAME if this node holds it. */
  async release(name: string): Promise<void> {
    const key = workloadNameKey(name);
    await etcdCall(`rm ${name}: release the name`, () => this.etcd.if(key, "Value", "==", this.self).then(this.etcd.delete().key(key)).commit());
  }
}

/** The keys of the names a node holds (what `node rm` releases with the node). */
export async function namesOf(etcd: Etcd3, node: string): Promise<string[]> {
  const all = await etcd.getAll().prefix(WORKLOAD_NAMES).strings();
  return Object.entries(all).flatMap(([k, v]) => (v === node ? [k] : []));
}
