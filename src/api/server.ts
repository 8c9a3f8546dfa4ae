import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Engine } from "../engine";
import { EngineError } from "../errors";
import { decodeSegment, readJson, sendError, sendJson } from "./http-util";
import { METRICS_CONTENT_TYPE, routes, type Route } from "./routes";
import { clusterRoutes } from "./cluster-routes";
import { placementRoutes } from "./placement-routes";
import { templateRoutes } from "./template-routes";
import { remoteWorkloadRoutes } from "./remote-workload-routes";
import { clusterNetworkRoutes } from "./cluster-network-routes";
import { execUpgrade } from "./workload-exec";
import type { Cluster } from "../cluster";

/** `extra`: routes the daemon composes in (the in-process CLI, src/daemon/cli-route.ts). */
export function apiServer(engine: Engine, cluster?: Cluster, extra: Route[] = []): Server {
  const rest = [...routes(engine), ...clusterRoutes(cluster), ...extra];
  const table = [...placementRoutes(engine, cluster), ...templateRoutes(engine, cluster), ...remoteWorkloadRoutes(engine, cluster, (req, res) => dispatch(rest, req, res)), ...clusterNetworkRoutes(engine, cluster, (req, res) => dispatch(rest, req, res)), ...rest];
  // Upgraded requests: `exec` streamed from the workload's node (workload-exec.ts).
  return createServer((req, res) => dispatch(table, req, res)).on("upgrade", execUpgrade(engine, cluster));
}

/** Answer one request from a route table: JSON, or an error with its code. */
export async function dispatch(table: Route[], req: IncomingMessage, res: ServerResponse, url?: URL): Promise<void> {
  try {
    url ??= parseUrl(req.url ?? "/");
    const route = table.find((r) => r.method === req.method && r.pattern.test(url!.pathname));
    if (!route) throw new EngineError("NOT_FOUND", `no API route ${req.method} ${url.pathname}`, { hint: "see docs/api.md" });
    const params = route.pattern.exec(url.pathname)!.slice(1).map(decodeSegment);
    const result = await route.handler({ req, res, params, query: url.searchParams, body: () => readJson(req) });
    if (route.status !== 0) sendJson(res, route.status, result ?? { ok: true });
  } catch (e) {
    if (!res.headersSent) sendError(res, e);
    else res.end();
  }
}

/** The request target; URLSearchParams decodes queries leniently, so a bad escape there is refused here. */
export function parseUrl(target: string): URL {
  const url = new URL(target, "http://ponton");
  decodeSegment(url.search.replace(/\+/g, " "));
  return url;
}

/** GET /metrics alone, over TCP, for a Prometheus scraper (the API socket stays root-only). */
export async function metricsServer(engine: Engine, listen: string): Promise<Server> {
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m) throw new EngineError("INVALID_ARGUMENT", `--metrics-listen '${listen}' is not ADDR:PORT`);
  const server = createServer((req, res) => {
    if (req.method !== "GET" || new URL(req.url ?? "/", "http://ponton").pathname !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    void engine.metrics().then(
      (text) => res.writeHead(200, { "content-type": METRICS_CONTENT_TYPE }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) => reject(new EngineError("INVALID_ARGUMENT", `--metrics-listen ${listen}: ${(e as NodeJS.ErrnoException).code}`)));
    server.listen(Number(m[2]), m[1]!.replace(/^\[|\]$/g, ""), resolve);
  });
  return server;
}
