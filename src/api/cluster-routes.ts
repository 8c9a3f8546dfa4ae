// API routes of the cluster (docs/api.md, "Cluster"): answered only by a pontond started with --cluster.
import type { ServerResponse } from "node:http";
import { EngineError } from "../errors";
import type { Cluster } from "../cluster";
import type { Route } from "./routes";
import { sendJson } from "./http-util";

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
    { method: "GET", pattern: /^\/v1\/cluster\/flows$/, status: 0, handler: async ({ query, res }) => clusterFlows(need(), query, res) },
  ];
}

/**
 * Without follow: every Ready node's records merged ({flows, unreachable}). With follow: NDJSON — the
 * merged past, then each node's new records and `{"event":"node-left"|"node-joined"}` lines, until the client leaves.
 */
async function clusterFlows(cluster: Cluster, query: URLSearchParams, res: ServerResponse): Promise<void> {
  if (query.get("follow") !== "1") return sendJson(res, 200, await cluster.allFlows(query));
  const lines: string[] = [];
  let write = (line: object) => void lines.push(JSON.stringify(line) + "\n");
  let gone = false;
  let follow: { stop(): void } | undefined;
  res.on("close", () => {
    gone = true;
    follow?.stop();
  });
  follow = await cluster.followAllFlows(query, (line) => write(line));
  if (gone) return follow.stop();
  res.writeHead(200, { "content-type": "application/x-ndjson" });
  write = (line) => void res.write(JSON.stringify(line) + "\n");
  for (const l of lines) res.write(l);
}
