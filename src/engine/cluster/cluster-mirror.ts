// Cluster mode: the cluster store's services, policies and namespaces mirrored into this node's store (a watch
// calls these with every record etcd holds). Records this node holds from the cluster and etcd no
// longer has go; a node-local record of the same name gives way to the cluster's.
import { serviceRef, type Service } from "../../model/services/service";
import type { Namespace, PolicyRecord } from "../../model/types";
import { policyKey as keyOf } from "../../policy";
import type { EngineContext } from "../context";
import { syncedPut } from "../policy/namespaces";
import { apply } from "../services/services";

/** Records to put and to delete so that the local ones the cluster owns are exactly `want`. */
export function mirrorPlan<T extends { cluster?: true }>(have: readonly T[], want: readonly T[], key: (x: T) => string, same: (a: T, b: T) => boolean): { put: T[]; del: T[] } {
  const wanted = new Map(want.map((w) => [key(w), w]));
  const had = new Map(have.map((h) => [key(h), h]));
  const del = have.filter((h) => {
    const w = wanted.get(key(h));
    return w ? !same(h, w) : h.cluster === true;
  });
  const put = want.filter((w) => {
    const h = had.get(key(w));
    return !h || !sameJson(h, w);
  });
  return { put, del };
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The cluster's services as etcd has them, LoadBalancer addresses included: the writer's node took
 * them from its pools and reserved them in etcd in the same transaction, so every node announces
 * the one cluster-wide address of each service.
 */
export async function mirrorServices(ctx: EngineContext, records: Service[]): Promise<void> {
  const have = ctx.store.services();
  // A different id under the same name is another service: the old one goes first.
  const plan = mirrorPlan(have, records, serviceRef, (a, b) => a.id === b.id);
  const before = new Map(have.map((s) => [s.id, s]));
  const { put, del } = plan;
  if (!put.length && !del.length) return;
  await apply(
    ctx,
    () => {
      del.forEach((s) => ctx.store.deleteService(s.id));
      put.forEach((s) => ctx.store.putService(s));
    },
    () => {
      put.forEach((s) => (before.has(s.id) ? ctx.store.putService(before.get(s.id)!) : ctx.store.deleteService(s.id)));
      del.forEach((s) => ctx.store.putService(s));
    },
    `mirror ${put.length + del.length} cluster services`,
  );
}

export async function mirrorPolicies(ctx: EngineContext, records: PolicyRecord[]): Promise<void> {
  const have = ctx.store.policies();
  const key = (r: PolicyRecord) => keyOf(r.policy);
  const { put, del } = mirrorPlan(have, records, key, () => true);
  if (!put.length && !del.length) return;
  await syncedPut(
    ctx,
    () => {
      del.forEach((r) => ctx.store.deletePolicy(key(r)));
      put.forEach((r) => ctx.store.putPolicy(r));
    },
    () => {
      for (const r of ctx.store.policies()) ctx.store.deletePolicy(key(r));
      for (const r of have) ctx.store.putPolicy(r);
    },
  );
}

/** Namespaces and their labels: a label changed on another node re-evaluates namespaceSelectors here. */
export async function mirrorNamespaces(ctx: EngineContext, records: Namespace[]): Promise<void> {
  const have = ctx.store.namespaces();
  const { put, del } = mirrorPlan(have, records, (n) => n.name, () => true);
  if (!put.length && !del.length) return;
  await syncedPut(
    ctx,
    () => {
      del.forEach((n) => ctx.store.deleteNamespace(n.name));
      put.forEach((n) => ctx.store.putNamespace(n));
    },
    () => {
      put.forEach((n) => ctx.store.deleteNamespace(n.name));
      have.forEach((n) => ctx.store.putNamespace(n));
    },
  );
}
