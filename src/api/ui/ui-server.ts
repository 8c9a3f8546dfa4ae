// The web UI's own HTTP server (docs/ui.md): the built single-page app, the read half of the API,
// policy explain and what-if, and live flows as server-sent events. Never the admin API: nothing
// here creates, changes or removes anything.
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import path from "node:path";
import type { Engine } from "../../engine";
import { EngineError } from "../../errors";
import { readJson, sendError, sendJson } from "../http-util";
import type { Cluster } from "../../cluster";
import { clusterRoutes } from "../cluster-routes";
import { placementRoutes } from "../placement-routes";
import { templateRoutes } from "../template-routes";
import { routes } from "../routes";
import { dispatch, parseUrl } from "../server";
import { FlowBatches, sseEvent } from "./flow-batches";
import { checkAccess, SECURITY_HEADERS, UI_COOKIE, type UiListen } from "./ui-access";

/** GET routes of the API the UI may use (docs/api.md); everything else answers 404. */
/** The cluster's reads; a single host answers them with no nodes (the page polls them either way). */
const CLUSTER_READS = ["/v1/nodes", "/v1/tunnels"];
const READ_API = [...CLUSTER_READS, "/v1/info", "/v1/networks", "/v1/workloads", "/v1/templates", "/v1/services", "/v1/namespaces", "/v1/ports", "/v1/policies", "/v1/policies/explain", "/v1/flows", "/v1/flows/status", "/v1/dns/records", "/metrics"];

const TICK_MS = 250;
const MAX_PENDING = 5000;
const WHAT_IF_DEFAULT = 1000;
const WHAT_IF_MAX = 10_000;
/** Live streams open at once, all pages together: each holds a flow subscription and a timer. */
export const DEFAULT_MAX_STREAMS = 8;

const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml" };

/** The built app (dist/web), read once: only these files are served, by exact name. */
export function loadWeb(dir: string): Map<string, { type: string; body: Buffer }> {
  const files = new Map<string, { type: string; body: Buffer }>();
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    // reported below
  }
  for (const n of names) {
    const type = TYPES[path.extname(n)];
    if (type) files.set(`/${n}`, { type, body: readFileSync(path.join(dir, n)) });
  }
  if (!files.has("/index.html")) throw new EngineError("BUILD_INCOMPLETE", `the web UI is not built: no ${path.join(dir, "index.html")}`);
  files.set("/", files.get("/index.html")!);
  return files;
}

export const WEB_DIR = path.join(__dirname, "../../../web");

export interface UiServerOptions {
  web?: ReturnType<typeof loadWeb>;
  maxStreams?: number;
  /** Set when pontond is a cluster node: the UI shows the other nodes and tunnels. */
  cluster?: Cluster;
}

export async function uiServer(engine: Engine, ui: UiListen, opts: UiServerOptions = {}): Promise<Server> {
  const web = opts.web ?? loadWeb(WEB_DIR);
  const maxStreams = opts.maxStreams ?? DEFAULT_MAX_STREAMS;
  const table = [...placementRoutes(engine, opts.cluster), ...templateRoutes(engine, opts.cluster), ...routes(engine), ...clusterRoutes(opts.cluster)];
  let streams = 0;
  const server = createServer((req, res) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    res.setHeader("cache-control", "no-store");
    handle(req, res).catch((e) => (res.headersSent ? res.end() : sendError(res, e)));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = parseUrl(req.url ?? "/");
    const access = checkAccess(ui, { method: req.method ?? "", url, headers: req.headers });
    if (access instanceof EngineError) throw access;
    if (access === "cookie") {
      url.searchParams.delete("token");
      // Never "//host…" (a path like "/.//host" normalises to one): the redirect stays on this server.
      res.writeHead(303, { "set-cookie": `${UI_COOKIE}=${ui.token}; HttpOnly; SameSite=Strict; Path=/`, location: `/${url.pathname.replace(/^\/+/, "")}${url.search}` });
      res.end();
      return;
    }
    const file = req.method === "GET" ? web.get(url.pathname) : undefined;
    if (file) {
      res.writeHead(200, { "content-type": file.type, "content-length": file.body.length });
      res.end(file.body);
      return;
    }
    if (req.method === "GET" && url.pathname === "/ui/v1/events") return liveFlows(res);
    if (req.method === "POST" && url.pathname === "/ui/v1/what-if") {
      sameOrigin(req);
      const body = await readJson(req);
      if (typeof body.yaml !== "string") throw new EngineError("INVALID_ARGUMENT", "what-if takes {yaml, limit?}");
      const limit = body.limit === undefined ? WHAT_IF_DEFAULT : Number(body.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > WHAT_IF_MAX) throw new EngineError("INVALID_ARGUMENT", `limit must be a whole number from 1 to ${WHAT_IF_MAX}`);
      return sendJson(res, 200, engine.whatIfPolicy(body.yaml, limit));
    }
    if (req.method === "GET" && !opts.cluster && CLUSTER_READS.includes(url.pathname)) return sendJson(res, 200, []);
    if (req.method === "GET" && READ_API.includes(url.pathname)) {
      // Live data comes as server-sent events; a follow here would be an unbatched stream.
      url.searchParams.delete("follow");
      return dispatch(table, req, res, url);
    }
    throw new EngineError("NOT_FOUND", `the UI serves no ${req.method} ${url.pathname}`, { hint: "the UI exposes only the read API (docs/ui.md)" });
  }

  function liveFlows(res: ServerResponse): void {
    // One token is shared by every page, so the cap is on all of them: a page left open in many tabs
    // (or a script) cannot make the daemon buffer flows for hundreds of readers.
    if (streams >= maxStreams) throw new EngineError("TOO_MANY_STREAMS", `${streams} live streams are open, the most pontond --ui-max-streams allows`);
    streams++;
    const batches = new FlowBatches<unknown>(MAX_PENDING);
    const stop = engine.followFlows({}, (r) => batches.push(r));
    res.writeHead(200, { "content-type": "text/event-stream", connection: "keep-alive" });
    res.write(": ponton flows\n\n");
    let idle = 0;
    const timer = setInterval(() => {
      // A reader that has not drained the last batch gets the next one later (and loses the oldest).
      if (res.writableNeedDrain) return;
      const next = batches.take();
      if (next) {
        idle = 0;
        res.write(sseEvent("flows", next));
      } else if (++idle * TICK_MS >= 15_000) {
        idle = 0;
        res.write(": keep-alive\n\n");
      }
    }, TICK_MS);
    res.on("close", () => {
      streams--;
      clearInterval(timer);
      stop();
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) => reject(new EngineError("INVALID_ARGUMENT", `--ui-listen ${ui.host}:${ui.port}: ${(e as NodeJS.ErrnoException).code}`)));
    server.listen(ui.port, ui.host, resolve);
  });
  return server;
}

/** A POST from another origin (a form on some web page) is refused; the app's own fetch names ours. */
function sameOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  const json = String(req.headers["content-type"] ?? "").startsWith("application/json");
  if (!json || (origin !== undefined && origin !== `http://${req.headers.host}` && origin !== `https://${req.headers.host}`)) {
    throw new EngineError("UNAUTHORIZED", "what-if takes application/json from the UI's own origin");
  }
}
