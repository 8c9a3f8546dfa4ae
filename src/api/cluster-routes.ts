// API routes of the cluster (docs/api.md, "Cluster"): answered only by a pontond started with --cluster.
import { EngineError } from "../errors";
import type { Cluster } from "../cluster";
import type { Route } from "./routes";

export function clusterRoutes(cluster: Cluster | undefined): Route[] {
  const need = (): Cluster => {
    if (!cluster) throw new EngineError("NOT_IN_CLUSTER", "this pontond runs a single host (no --cluster)");
    return cluster;
  };
  return [
    // `self` marks the node that answers, so a reader (the UI's plumbing view) can tell it apart.
    { method: "GET", pattern: /^\/v1\/nodes$/, status: 200, handler: async () => (await need().nodes()).map((n) => ({ ...n, self: n.name === need().nodeName })) },
    { method: "GET", pattern: /^\/v1\/tunnels$/, status: 200, handler: async () => need().tunnels() },
    { method: "DELETE", pattern: /^\/v1\/nodes\/([^/]+)$/, status: 200, handler: async ({ params }) => need().removeNode(params[0]!) },
    { method: "POST", pattern: /^\/v1\/cluster\/networks$/, status: 201, handler: async ({ body }) => need().createNetwork(await body()) },
    { method: "GET", pattern: /^\/v1\/cluster\/networks$/, status: 200, handler: async () => need().ipam.networks() },
    { method: "GET", pattern: /^\/v1\/cluster\/flows$/, status: 200, handler: async ({ query }) => need().allFlows(query) },
  ];
}
