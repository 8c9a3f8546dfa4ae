// Namespaces a project file declares (`ponton up`): created or relabelled as `namespace create` and
// `namespace label` do — in a cluster, in etcd first (compared with the copy this node holds), so a
// namespace declared on one node is every node's; refused there, the run stops with nothing of it here.
import type { Namespace } from "../../model/types";
import { namespaceLabels } from "../../model/namespaces";
import type { EngineContext } from "../context";
import { now } from "../ids";

/** Puts each declared namespace that differs from the stored one; `undo` gets what puts etcd back. */
export async function declareNamespaces(ctx: EngineContext, declared: readonly { name: string; labels?: Record<string, string> }[], undo: (() => Promise<void>)[]): Promise<void> {
  for (const d of declared) {
    const stored = ctx.store.namespace(d.name);
    const n: Namespace = { name: d.name, labels: namespaceLabels(d.name, d.labels ?? {}), createdAt: stored?.createdAt ?? now(), ...(ctx.cluster ? { cluster: true as const } : {}) };
    if (stored && JSON.stringify(stored) === JSON.stringify(n)) continue;
    const back = await ctx.cluster?.namespace(d.name, n, stored?.cluster ? stored : undefined);
    if (back) undo.push(back);
    ctx.store.putNamespace(n);
  }
}
