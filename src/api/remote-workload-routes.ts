// A workload by name (inspect, rm, stop, start, logs, label) on a cluster node: this node's own is
// served by the single-host routes; another node's is forwarded to that node (remote-commands.ts),
// which answers. Ahead of routes.ts in the table; without a cluster there are none.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Cluster } from "../cluster";
import type { Engine } from "../engine";
import { isLocal } from "./local-workload";
import { MAX_BODY } from "./http-util";
import { EngineError } from "../errors";
import type { Route } from "./routes";

const BY_NAME = /^\/v1\/workloads\/([^/]+)(?:\/(?:stop|start|logs|labels))?$/;

async function rawBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new EngineError("PAYLOAD_TOO_LARGE", `request body is larger than ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** `local` answers a request from the single-host routes (the rest of the table). */
export function remoteWorkloadRoutes(engine: Engine, cluster: Cluster | undefined, local: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Route[] {
  if (!cluster) return [];
  const handler: Route["handler"] = async ({ req, res, params, query }) => {
    const name = params[0]!;
    // This node's first, by name alone (names are unique on a node across namespaces).
    if (isLocal(engine, name)) return local(req, res);
    const owner = await cluster.ownerOf(name, query.get("namespace") || undefined);
    if (!owner) return local(req, res);
    await cluster.forward(owner, req.method!, req.url!, await rawBody(req), res);
  };
  return ["GET", "POST", "DELETE"].map((method) => ({ method, pattern: BY_NAME, status: 0, handler }));
}
