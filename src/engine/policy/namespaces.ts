// Use cases on policy namespaces and labels: every change is one nft transaction (policy maps and
// service endpoints follow labels), compiled from the updated desired state.
import { EngineError } from "../../errors";
import { validateLabels } from "../../model/names";
import { applyLabelEdits, editNamespaceLabels, namespaceLabels, validateNamespace } from "../../model/namespaces";
import { DEFAULT_NAMESPACE, type Namespace, type Workload } from "../../model/types";
import type { EngineContext } from "../context";
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

export function createNamespace(ctx: EngineContext, name: string, labels: unknown): Namespace {
  const ns = validateNamespace(name);
  if (ctx.store.namespace(ns)) throw new EngineError("NAME_IN_USE", `namespace ${ns} already exists`);
  const n: Namespace = { name: ns, labels: namespaceLabels(ns, validateLabels(labels)), createdAt: now() };
  ctx.store.putNamespace(n);
  return n;
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
  const old = ctx.store.namespace(ns) ?? { name: ns, labels: {}, createdAt: now() };
  const n: Namespace = { ...old, labels: validateLabels(editNamespaceLabels(ns, { ...old.labels, ...namespaceLabels(ns, {}) }, edits)) };
  await syncedPut(ctx, () => ctx.store.putNamespace(n), () => ctx.store.putNamespace(old));
  return n;
}

export async function labelWorkload(ctx: EngineContext, name: string, edits: LabelEdits): Promise<Workload> {
  const old = getWorkload(ctx, name);
  const w: Workload = { ...old, labels: validateLabels(applyLabelEdits(old.labels, edits)) };
  await syncedPut(ctx, () => ctx.store.putWorkload(w), () => ctx.store.putWorkload(old));
  return w;
}

/** Store, then one nft transaction; if the kernel refuses, the store goes back to what it was. */
export async function syncedPut(ctx: EngineContext, put: () => void, undo: () => void): Promise<void> {
  ctx.store.transaction(put);
  try {
    await ctx.nft.sync(ctx.store.state());
  } catch (e) {
    ctx.store.transaction(undo);
    await ctx.nft.sync(ctx.store.state()).catch(() => undefined);
    throw e;
  }
}
