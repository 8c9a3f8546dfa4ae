import { createServer, type Server } from "node:http";
import type { Engine } from "../engine";
import { EngineError } from "../errors";
import { readJson, sendError, sendJson } from "./http-util";
import { routes } from "./routes";

export function apiServer(engine: Engine): Server {
  const table = routes(engine);
  return createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://ponton");
      const route = table.find((r) => r.method === req.method && r.pattern.test(url.pathname));
      if (!route) throw new EngineError("NOT_FOUND", `no API route ${req.method} ${url.pathname}`, { hint: "see docs/api.md" });
      const params = route.pattern.exec(url.pathname)!.slice(1).map(decodeURIComponent);
      const result = await route.handler({ req, res, params, query: url.searchParams, body: () => readJson(req) });
      if (route.status !== 0) sendJson(res, route.status, result ?? { ok: true });
    } catch (e) {
      if (!res.headersSent) sendError(res, e);
      else res.end();
    }
  });
}
