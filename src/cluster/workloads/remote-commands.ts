// `inspect`, `stop`, `start`, `rm`, `logs`, `label` and `exec` of a workload another node runs, from
// any node: the node asked finds the owner and forwards the request to the owner's peer listener
// (port 4244, the cluster token) under /v1/local/, as `run --node` does; the owner answers from its
// own API routes. The caller gets the owner's answer, or its error with its code and the message
// prefixed `node N:`; `logs -f` is piped as it comes, `exec` is an upgraded connection piped both ways.
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { codeInfo, EngineError } from "../../errors";
import { FLOW_PEER_PORT } from "../flows/flow-relay";
import type { NodeView } from "../node-view";
import type { WorkloadRecord } from "./workload-records";

/** The prefix of the owner's routes on the peer listener: /v1/local + the API path (/v1/local/v1/workloads/NAME). */
export const PEER_LOCAL = "/v1/local";
/** The only routes another node may reach through it: one workload by name. */
const FORWARDABLE = /^\/v1\/workloads\/[^/]+(\/(stop|start|logs|labels|exec))?$/;

/** Whose workload NAME is (NS: it must be in that namespace), when it is not this node's. */
export interface OwnerQuery {
  self: string;
  name: string;
  namespace?: string;
  nodes: NodeView[];
  records: Iterable<WorkloadRecord>;
  /** A Ready node's workloads (GET /v1/workloads on its peer listener). */
  listOf(node: NodeView): Promise<{ name: string; namespace?: string }[]>;
}

/**
 * The node that runs NAME, or undefined when no node does (the caller answers locally: not found).
 * The published records hold serving workloads on cluster networks; a stopped one, or one on node
 * networks only, is found by asking every other Ready node. A node that cannot be asked may hold it:
 * NODE_NOT_READY naming it, never a WORKLOAD_NOT_FOUND that could be false.
 */
export async function findOwner(q: OwnerQuery): Promise<NodeView | undefined> {
  const matches = (w: { name: string; namespace?: string }) => w.name === q.name && (q.namespace === undefined || w.namespace === q.namespace);
  const rec = [...q.records].find((r) => r.node !== q.self && matches(r));
  if (rec) {
    const n = q.nodes.find((x) => x.name === rec.node);
    if (n?.status === "Ready") return n;
    throw new EngineError("NODE_NOT_READY", `workload ${q.name}: its node ${rec.node} is NotReady`);
  }
  const unanswered: string[] = [];
  const found = await Promise.all(
    q.nodes
      .filter((n) => n.name !== q.self)
      .map(async (n) => {
        if (n.status !== "Ready") return void unanswered.push(n.name);
        try {
          return (await q.listOf(n)).some(matches) ? n : undefined;
        } catch {
          return void unanswered.push(n.name);
        }
      }),
  );
  const owner = found.find((n) => n !== undefined);
  if (owner) return owner;
  if (unanswered.length) throw new EngineError("NODE_NOT_READY", `workload ${q.name}: not on this node nor any Ready node; node ${unanswered.sort().join(", ")} did not answer and may run it`);
  return undefined;
}

const errorBody = (code: string, message: string, hint?: string) => JSON.stringify({ error: { code, message, ...(hint ? { hint } : {}) } });

/** The owner's error as the caller's: its code, its message prefixed `node N:`. */
function prefixed(node: string, status: number, text: string): string {
  try {
    const e = (JSON.parse(text) as { error?: { code?: string; message?: string; hint?: string } }).error;
    if (e?.code) return errorBody(e.code, `node ${node}: ${e.message ?? ""}`, e.hint);
  } catch {
    // not JSON: said below
  }
  return errorBody("INTERNAL", `node ${node}: HTTP ${status}: ${text.slice(0, 200)}`);
}

const unreachable = (node: NodeView, e: Error) => new EngineError("NODE_NOT_READY", `node ${node.name} at ${node.address} did not answer (${e.message})`);

/**
 * Forward one API request (path with its query, the body already read) to the owner and answer the
 * caller with the owner's reply: JSON replies whole (an object with a name gets `node`), anything
 * else (`logs -f`) piped as it comes until either side leaves.
 */
export function forwardRequest(node: NodeView, token: string, method: string, path: string, body: Buffer, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const up = http.request(
      { host: node.address, port: FLOW_PEER_PORT, method, path: PEER_LOCAL + path, headers: { authorization: `Bearer ${token}`, ...(body.length ? { "content-type": "application/json", "content-length": body.length } : {}) } },
      (upRes) => {
        const status = upRes.statusCode ?? 502;
        const json = String(upRes.headers["content-type"] ?? "").startsWith("application/json");
        if (status >= 400 || json) {
          const chunks: Buffer[] = [];
          upRes.on("data", (c: Buffer) => chunks.push(c));
          upRes.on("end", () => {
            const text = Buffer.concat(chunks).toString();
            const out = status >= 400 ? prefixed(node.name, status, text) : withNode(text, node.name);
            res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(out) }).end(out);
            resolve();
          });
          upRes.on("error", reject);
          return;
        }
        res.writeHead(status, { "content-type": String(upRes.headers["content-type"] ?? "application/octet-stream") });
        upRes.pipe(res);
        upRes.on("end", resolve);
        upRes.on("error", () => resolve(void res.destroy()));
      },
    );
    // The caller left (`logs -f` ended with ^C): the owner stops following too.
    res.on("close", () => up.destroy());
    up.on("error", (e) => (res.headersSent ? resolve(void res.destroy()) : reject(unreachable(node, e))));
    up.end(body);
  });
}

function withNode(text: string, node: string): string {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === "object" && v !== null && !Array.isArray(v) && "name" in v) return JSON.stringify({ ...v, node });
  } catch {
    // not JSON after all: as it came
  }
  return text;
}

/**
 * Forward an upgraded request (`exec`) to the owner: once the owner switches protocols, the two
 * connections are piped both ways; an owner that refuses gets its error relayed, prefixed.
 */
export function forwardUpgrade(node: NodeView, token: string, req: IncomingMessage, path: string, socket: Duplex, head: Buffer): void {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, connection: "Upgrade", upgrade: String(req.headers.upgrade ?? "") };
  for (const [k, v] of Object.entries(req.headers)) if (k.startsWith("x-ponton-") && typeof v === "string") headers[k] = v;
  const up = http.request({ host: node.address, port: FLOW_PEER_PORT, method: req.method ?? "POST", path: PEER_LOCAL + path, headers });
  up.on("upgrade", (upRes, upSocket, upHead) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: ${upRes.headers.upgrade ?? ""}\r\n\r\n`);
    if (upHead.length) socket.write(upHead);
    if (head.length) upSocket.write(head);
    upSocket.pipe(socket);
    socket.pipe(upSocket);
    upSocket.on("error", () => socket.destroy());
    socket.on("error", () => upSocket.destroy());
    socket.on("close", () => upSocket.destroy());
  });
  up.on("response", (upRes) => {
    const chunks: Buffer[] = [];
    upRes.on("data", (c: Buffer) => chunks.push(c));
    upRes.on("end", () => writeRawError(socket, upRes.statusCode ?? 502, prefixed(node.name, upRes.statusCode ?? 502, Buffer.concat(chunks).toString())));
  });
  up.on("error", (e) => {
    const err = unreachable(node, e);
    writeRawError(socket, codeInfo(err.code).http, errorBody(err.code, err.message));
  });
  up.end();
}

/** An HTTP error reply written on a connection that was to be upgraded. */
export function writeRawError(socket: Duplex, status: number, body: string): void {
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? "Error"}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** What the owner's peer listener serves under /v1/local/ (the daemon wires its own API routes). */
export interface LocalApi {
  serve(req: IncomingMessage, res: ServerResponse): Promise<void>;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** The forwarded path, when the peer listener may serve it; undefined otherwise. */
export function localPath(url: URL): string | undefined {
  if (!url.pathname.startsWith(PEER_LOCAL + "/")) return undefined;
  const path = url.pathname.slice(PEER_LOCAL.length);
  return FORWARDABLE.test(path) ? path + url.search : undefined;
}

/** The peer listener's /v1/local/ routes (after its token check). */
export function peerLocalRoutes(api: LocalApi) {
  return async (req: IncomingMessage, url: URL, res: ServerResponse): Promise<boolean> => {
    const path = localPath(url);
    if (path === undefined) return false;
    req.url = path;
    await api.serve(req, res);
    return true;
  };
}
