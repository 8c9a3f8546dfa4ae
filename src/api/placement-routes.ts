// Workloads across a cluster (docs/cluster.md, "Placement"): POST /v1/workloads with `node` makes the
// workload on that node; GET /v1/workloads?nodes=all lists every node's, each with its node. Without
// either, these answer as the single-host routes do. Ahead of routes.ts in the table.
import type { Cluster } from "../cluster";
import type { Engine, RunSpec } from "../engine";
import { EngineError } from "../errors";
import type { Route } from "./routes";

export function placementRoutes(engine: Engine, cluster: Cluster | undefined): Route[] {
  return [
    {
      method: "POST",
      pattern: /^\/v1\/workloads$/,
      status: 201,
      handler: async ({ body }) => {
        // replicaOf is the engine's own mark (templates.ts): a client cannot claim it.
        const { replicaOf: _ignored, node, ...spec } = (await body()) as unknown as RunSpec & { node?: unknown };
        if (node === undefined) return engine.run(spec);
        if (typeof node !== "string" || node === "") throw new EngineError("INVALID_ARGUMENT", `run: 'node' must be a node name, not ${JSON.stringify(node)}`);
        if (!cluster) throw new EngineError("NOT_IN_CLUSTER", `run --node ${node}: this pontond runs a single host (no --cluster)`);
        return node === cluster.nodeName ? engine.run(spec) : cluster.runOn(node, spec as unknown as Record<string, unknown>);
      },
    },
    {
      method: "GET",
      pattern: /^\/v1\/workloads$/,
      status: 200,
      // nodes=all on a single host: the same shape, this host's workloads (no node names).
      handler: async ({ query }) => (query.get("nodes") !== "all" ? engine.list() : cluster ? cluster.allWorkloads() : { workloads: engine.list(), unreachable: [] }),
    },
  ];
}
