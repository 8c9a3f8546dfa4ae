// Use cases on policy namespaces and labels: every change is one nft transaction (policy maps and
// service endpoints follow labels), compiled from the updated desired state.
import { EngineError } from "../../errors";
import { validateLabels } from "../../model/names";
import { applyLabelEdits, editNamespaceLabels, namespaceLabels, validateNamespace } from "../../model/namespaces";
import { DEFAULT_NAMESPACE, type Namespace, type Workload } from "../../model/types";
import type { EngineContext } from "../context";
import type { NftPlan } from "../../compile";
import { now } from "../ids";
import { getWorkload } from "../workloads/workloads";

export interface LabelEdits {
  set?: Record<string, string>;
  remove?: string[];
}

export interface NamespaceView {
  name: string;
  labels: Record<string, string>;
  workloads: number;
  policies: number;
  /** false: it exists only because a workload or policy names it. */
  created: boolean;
}

export async function createNamespace(ctx: EngineContext, name: string, labels: unknown): Promise<Namespace> {
  const ns = validateNamespace(name);
  if (ctx.store.namespace(ns)) throw new EngineError("NAME_IN_USE", `namespace ${ns} already exists`);
  const n: Namespace = { name: ns, labels: namespaceLabels(ns, validateLabels(labels)), createdAt: now(), ...clusterMark(ctx) };
  await clusterFirst(ctx, ns, n, undefined, () => syncedPut(ctx, () => ctx.store.putNamespace(n), () => ctx.store.deleteNamespace(ns)));
  return n;
}

/** Cluster mode: the record is the cluster's (etcd holds it; the mirror owns it here). */
const clusterMark = (ctx: EngineContext): { cluster?: true } => (ctx.cluster ? { cluster: true } : {});

/**
 * Cluster mode: the namespace changes in etcd first (only if etcd still holds what this node holds
 * from it); refused there, nothing changes here; the local apply failing puts etcd back.
 */
export async function clusterFirst(ctx: EngineContext, ns: string, next: Namespace | undefined, stored: Namespace | undefined, local: () => Promise<void>): Promise<void> {
  const undo = await ctx.cluster?.namespace(ns, next, stored?.cluster ? stored : undefined);
  try {
    await local();
  } catch (e) {
    await undo?.().catch(() => undefined);
    throw e;
  }
}

/** Explicit namespaces, plus those that workloads or policies name (and "default"). */
export function listNamespaces(ctx: EngineContext): NamespaceView[] {
  const state = ctx.store.state();
  const views = new Map<string, NamespaceView>();
  const view = (name: string) => {
    if (!views.has(name)) views.set(name, { name, labels: namespaceLabels(name, {}), workloads: 0, policies: 0, created: false });
    return views.get(name)!;
  };
  view(DEFAULT_NAMESPACE);
  // Records an older pontond stored may lack the name label (or hold another value): shown as they act.
  for (const n of state.namespaces ?? []) Object.assign(view(n.name), { labels: { ...n.labels, ...namespaceLabels(n.name, {}) }, created: true });
  for (const w of state.workloads) view(w.namespace ?? DEFAULT_NAMESPACE).workloads++;
  // A clusterwide Cilium policy (namespace "") is in no namespace.
  for (const p of state.policies ?? []) if (p.policy.namespace !== "") view(p.policy.namespace).policies++;
  return [...views.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

export async function labelNamespace(ctx: EngineContext, name: string, edits: LabelEdits): Promise<Namespace> {
  const ns = validateNamespace(name);
  const stored = ctx.store.namespace(ns);
  const old = stored ?? { name: ns, labels: {}, createdAt: now() };
  const n: Namespace = { ...old, labels: validateLabels(editNamespaceLabels(ns, { ...old.labels, ...namespaceLabels(ns, {}) }, edits)), ...clusterMark(ctx) };
  await clusterFirst(ctx, ns, n, stored, () => syncedPut(ctx, () => ctx.store.putNamespace(n), () => (stored ? ctx.store.putNamespace(stored) : ctx.store.deleteNamespace(ns))));
  return n;
}

export async function labelWorkload(ctx: EngineContext, name: string, edits: LabelEdits): Promise<Workload> {
  const old = getWorkload(ctx, name);
  const w: Workload = { ...old, labels: validateLabels(applyLabelEdits(old.labels, edits)) };
  await syncedPut(ctx, () => ctx.store.putWorkload(w), () => ctx.store.putWorkload(old));
  return w;
}

/**
 * Store, then one nft transaction; if the kernel refuses, the store goes back to what it was.
 * `plan`: the plan of the state after `put`, compiled already (to validate it before the store changed).
 */
export async function syncedPut(ctx: EngineContext, put: () => void, undo: () => void, plan?: NftPlan): Promise<void> {
  ctx.store.transaction(put);
  try {
    await ctx.nft.sync(ctx.store.state(), plan);
  } catch (e) {
    ctx.store.transaction(undo);
    await ctx.nft.sync(ctx.store.state()).catch(() => undefined);
    throw e;
  }
}
