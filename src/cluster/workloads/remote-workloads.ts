// Every node's workload records, as a table kept in step with etcd by a watch that starts at the
// revision of the first read (nothing between the two is missed) and that the etcd3 client resumes
// from its last revision after a reconnect. A node's records vanish with its lease: the watch sees
// the deletes and the node's workloads leave the table within the lease TTL of its death.
import type { Etcd3, Watcher } from "etcd3";
import { WORKLOADS } from "../keys";
import type { WorkloadRecord } from "./workload-records";

export class RemoteWorkloads {
  readonly records = new Map<string, WorkloadRecord>();
  /** Counts the table's changes (what is made from it is made again when it moves). */
  version = 0;
  private watcher: Watcher | undefined;

  constructor(
    private readonly etcd: Etcd3,
    /** Called once per batch of changes the watch delivers. */
    private readonly changed: () => void,
  ) {}

  async start(): Promise<void> {
    const r = await this.etcd.getAll().prefix(WORKLOADS).exec();
    for (const kv of r.kvs) this.set(kv.key.toString(), kv.value.toString());
    this.version++;
    this.watcher = await this.etcd.watch().prefix(WORKLOADS).startRevision(String(BigInt(r.header.revision) + 1n)).create();
    this.watcher.on("data", (res) => {
      for (const e of res.events) {
        const key = e.kv.key.toString();
        if (e.type === "Put") this.set(key, e.kv.value.toString());
        else this.records.delete(key);
      }
      if (!res.events.length) return;
      this.version++;
      this.changed();
    });
    this.watcher.on("error", (e) => console.error(`pontond: cluster: workload watch: ${e.message}`));
  }

  private set(key: string, value: string): void {
    try {
      this.records.set(key, JSON.parse(value) as WorkloadRecord);
    } catch {
      console.error(`pontond: cluster: ${key}: not a workload record`);
    }
  }

  async close(): Promise<void> {
    await this.watcher?.cancel().catch(() => undefined);
  }
}
