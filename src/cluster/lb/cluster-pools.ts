// LoadBalancer pools are cluster-scope: a pool applied (or removed) on any node is one etcd
// transaction on the pool records it read, then the node's own store; every node mirrors the
// records (a watch on the prefix) so each hands out addresses from the same pools. The services a
// pool change moves (addresses given, or taken back: pending) are written by the node that made the
// change, in the services' own transaction (cluster-objects.ts): the mirror never re-assigns.
import type { Etcd3, Watcher } from "etcd3";
import { EngineError } from "../../errors";
import type { LbPool } from "../../model/lb/lb-pool";
import type { Undo } from "../../engine/cluster/cluster-gate";
import { etcdCall } from "../etcd";
import { LB_POOLS, lbPoolKey } from "../keys";
import { Rerun } from "../loop";

export class ClusterPools {
  private watcher: Watcher | undefined;
  private readonly loop: Rerun;

  constructor(
    private readonly etcd: Etcd3,
    mirror: (records: LbPool[]) => Promise<void>,
  ) {
    this.loop = new Rerun("mirror LoadBalancer pools", async () => mirror(Object.values(await this.etcd.getAll().prefix(LB_POOLS).strings()).map((v) => JSON.parse(v) as LbPool)));
  }

  /** Mirror now, then on every change of a pool (the etcd3 client resumes the watch). */
  async start(): Promise<void> {
    const w = await this.etcd.watch().prefix(LB_POOLS).create();
    w.on("data", () => void this.loop.run());
    w.on("connected", () => void this.loop.run());
    w.on("error", (e) => console.error(`pontond: cluster: ${LB_POOLS} watch: ${e.message}`));
    this.watcher = w;
    await this.loop.run();
  }

  /** Put `put` and delete `removed` in one transaction, conditional on each record as read; returns the undo. */
  write(put: readonly LbPool[], removed: readonly string[]): Promise<Undo> {
    const names = [...put.map((p) => p.name), ...removed];
    const what = removed.length && !put.length ? `remove pools ${removed.join(", ")}` : `apply pools ${names.join(", ")}`;
    return etcdCall(what, async () => {
      if (!names.length) return async () => undefined;
      const read = await Promise.all(names.map(async (n) => ({ key: lbPoolKey(n), kv: (await this.etcd.get(lbPoolKey(n)).exec()).kvs[0] })));
      const [first, ...rest] = read.map((r) => (r.kv ? ([r.key, "Mod", "==", r.kv.mod_revision] as const) : ([r.key, "Create", "==", 0] as const)));
      let txn = this.etcd.if(first![0], first![1], first![2], first![3]);
      for (const c of rest) txn = txn.and(c[0], c[1], c[2], c[3]);
      const r = await txn.then(...put.map((p) => this.etcd.put(lbPoolKey(p.name)).value(JSON.stringify(p))), ...removed.map((n) => this.etcd.delete().key(lbPoolKey(n)))).commit();
      if (!r.succeeded) throw new EngineError("NAME_IN_USE", `${what}: another node changed them meanwhile; nothing was applied`, { hint: "run the command again" });
      return async () => {
        const back = read.map((x) => (x.kv ? this.etcd.put(x.key).value(x.kv.value.toString()) : this.etcd.delete().key(x.key)));
        await this.etcd.if(LB_POOLS, "Version", "!=", -1).then(...back).commit();
      };
    });
  }

  async close(): Promise<void> {
    this.loop.close();
    await this.watcher?.cancel().catch(() => undefined);
  }
}
