// Cluster mode: the cluster's LoadBalancer pools mirrored into this node's store (a watch calls this
// with every pool etcd holds). Only the pools change here: the services a pool change moved were
// written to etcd by the node that made it, and come through the services' mirror.
import type { LbPool } from "../../model/lb/lb-pool";
import type { EngineContext } from "../context";
import { syncedPut } from "../policy/namespaces";
import { mirrorPlan } from "./cluster-mirror";

export async function mirrorLbPools(ctx: EngineContext, records: LbPool[]): Promise<void> {
  const have = ctx.store.lbPools();
  const { put, del } = mirrorPlan(have, records, (p) => p.name, () => true);
  if (!put.length && !del.length) return;
  await syncedPut(
    ctx,
    () => {
      del.forEach((p) => ctx.store.deleteLbPool(p.name));
      put.forEach((p) => ctx.store.putLbPool(p));
    },
    () => {
      put.forEach((p) => ctx.store.deleteLbPool(p.name));
      have.forEach((p) => ctx.store.putLbPool(p));
    },
  );
}
