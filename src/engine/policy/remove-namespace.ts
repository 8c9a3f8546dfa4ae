// `ponton namespace rm NS`: refused while anything lives in it unless forced, which removes its
// templates (with their replicas), workloads, services and policies first, as Kubernetes deletes a
// namespace's contents. "default" is never removed (Kubernetes refuses that too).
import { EngineError } from "../../errors";
import { validateNamespace } from "../../model/namespaces";
import { serviceNamespace } from "../../model/services/service";
import { DEFAULT_NAMESPACE } from "../../model/types";
import type { EngineContext } from "../context";
import { removeService } from "../services/services";
import { removeTemplate } from "../workloads/templates";
import { removeWorkload } from "../workloads/workloads";
import { putPolicies } from "./policies";
import { policyKey } from "../../policy";

export interface NamespaceRemoval {
  namespace: string;
  templates: string[];
  workloads: string[];
  services: string[];
  policies: string[];
}

/** What lives in a namespace, by kind. */
function contents(ctx: EngineContext, ns: string): NamespaceRemoval {
  const templates = ctx.store.templates().filter((t) => validateNamespace(t.spec.namespace) === ns).map((t) => t.name);
  return {
    namespace: ns,
    templates,
    // A template's replicas go with their template.
    workloads: ctx.store.workloads().filter((w) => (w.namespace ?? DEFAULT_NAMESPACE) === ns && !(w.replicaOf && templates.includes(w.replicaOf.template))).map((w) => w.name),
    services: ctx.store.services().filter((s) => serviceNamespace(s) === ns).map((s) => s.name),
    policies: ctx.store.policies().filter((p) => p.policy.namespace === ns).map((p) => p.policy.name),
  };
}

export async function removeNamespace(ctx: EngineContext, name: string, opts: { force?: boolean; missingOk?: boolean } = {}): Promise<NamespaceRemoval> {
  const ns = validateNamespace(name);
  if (ns === DEFAULT_NAMESPACE) throw new EngineError("UNSUPPORTED", `namespace ${DEFAULT_NAMESPACE} cannot be removed`, { hint: "remove the objects in it instead" });
  const c = contents(ctx, ns);
  const held = [...c.templates.map((n) => `template ${n}`), ...c.workloads.map((n) => `workload ${n}`), ...c.services.map((n) => `service ${n}`), ...c.policies.map((n) => `policy ${n}`)];
  if (!ctx.store.namespace(ns) && held.length === 0) {
    if (opts.missingOk) return c;
    throw new EngineError("NOT_FOUND", `namespace ${ns} not found`, { hint: "list namespaces with 'ponton namespace ls'" });
  }
  // Cluster mode: other nodes' workloads are theirs to remove (this node cannot), so they always hold it.
  const elsewhere = (ctx.cluster?.remoteWorkloads() ?? []).filter((w) => w.namespace === ns).map((w) => `workload ${w.name} on node ${w.node}`);
  if (elsewhere.length > 0) throw new EngineError("NAMESPACE_NOT_EMPTY", `namespace ${ns} holds ${elsewhere.slice(0, 10).join(", ")}${elsewhere.length > 10 ? ` and ${elsewhere.length - 10} more` : ""}`, { hint: "remove those workloads on their nodes first" });
  if (held.length > 0 && !opts.force) {
    const shown = held.length > 10 ? `${held.slice(0, 10).join(", ")} and ${held.length - 10} more` : held.join(", ");
    throw new EngineError("NAMESPACE_NOT_EMPTY", `namespace ${ns} holds ${shown}`);
  }
  // Cluster mode: etcd first (its refusal leaves everything here as it was); then the contents go.
  const stored = ctx.store.namespace(ns);
  await ctx.cluster?.namespace(ns, undefined, stored?.cluster ? stored : undefined);
  // Templates first, so no replica is made again while its namespace empties; policies last, so
  // nothing is left unprotected while its workloads still run.
  for (const t of c.templates) await removeTemplate(ctx, t, true);
  for (const w of c.workloads) await removeWorkload(ctx, w, { missingOk: true });
  for (const s of c.services) await removeService(ctx, s, true, ns);
  const keys = ctx.store.policies().filter((p) => p.policy.namespace === ns).map((p) => policyKey(p.policy));
  if (keys.length > 0) await putPolicies(ctx, [], { remove: keys });
  ctx.store.deleteNamespace(ns);
  return c;
}
