// Templates (`run --replicas`, `scale`, `template ls|rm`; docs/cluster.md, "Templates"). In a cluster
// a template is the cluster's: `template ls` shows every node's with its owner, and a change of one
// another node owns is sent to that owner (`run --replicas --node N` makes N the owner). Without a
// cluster these answer for this host alone. Ahead of routes.ts in the table.
import type { Cluster } from "../cluster";
import type { Engine, RunSpec } from "../engine";
import { EngineError } from "../errors";
import { validateNamespace } from "../model/namespaces";
import type { Route } from "./routes";

const flag = (q: URLSearchParams, k: string) => q.get(k) === "1" || q.get(k) === "true";

/** With ?namespace=NS the template must be in NS (false: elsewhere and `missingOk`). */
function templateIn(engine: Engine, name: string, q: URLSearchParams, missingOk: boolean): boolean {
  const ns = q.get("namespace") || undefined;
  if (ns === undefined) return true;
  const t = engine.listTemplates().find((x) => x.name === name);
  if (t && t.namespace === validateNamespace(ns)) return true;
  if (missingOk) return false;
  throw new EngineError("TEMPLATE_NOT_FOUND", `template ${name} not found in namespace ${ns}${t ? ` (it is in ${t.namespace})` : ""}`);
}

export function templateRoutes(engine: Engine, cluster: Cluster | undefined): Route[] {
  return [
    { method: "GET", pattern: /^\/v1\/templates$/, status: 200, handler: async () => (cluster ? cluster.templates.list() : engine.listTemplates()) },
    {
      method: "POST",
      pattern: /^\/v1\/templates$/,
      status: 201,
      handler: async ({ body }) => {
        // replicaOf is the engine's own mark (templates.ts): a client cannot claim it.
        const { replicas, replicaOf: _ignored, node, ...spec } = (await body()) as unknown as RunSpec & { replicas?: unknown; node?: unknown };
        if (node === undefined) return engine.createTemplate(spec, replicas);
        if (typeof node !== "string" || node === "") throw new EngineError("INVALID_ARGUMENT", `run --replicas: 'node' must be a node name, not ${JSON.stringify(node)}`);
        if (!cluster) throw new EngineError("NOT_IN_CLUSTER", `run --replicas --node ${node}: this pontond runs a single host (no --cluster)`);
        return node === cluster.nodeName ? engine.createTemplate(spec, replicas) : cluster.templates.createOn(node, { ...spec, replicas });
      },
    },
    {
      method: "DELETE",
      pattern: /^\/v1\/templates\/([^/]+)$/,
      status: 200,
      handler: async ({ params, query }) => {
        const name = params[0]!;
        const missingOk = flag(query, "missingOk");
        const ns = query.get("namespace") || undefined;
        const sent = await cluster?.templates.remove(name, ns === undefined ? undefined : validateNamespace(ns), missingOk);
        if (sent) return sent.forwarded;
        return templateIn(engine, name, query, missingOk) && engine.removeTemplate(name, missingOk);
      },
    },
    {
      method: "POST",
      pattern: /^\/v1\/scale$/,
      status: 200,
      handler: async ({ body }) => {
        const { replicas } = await body();
        if (typeof replicas !== "object" || replicas === null || Array.isArray(replicas)) throw new EngineError("INVALID_ARGUMENT", "scale takes {replicas: {TEMPLATE: N}}");
        return cluster ? cluster.templates.scale(replicas as Record<string, unknown>) : engine.scale(replicas as Record<string, unknown>);
      },
    },
  ];
}
