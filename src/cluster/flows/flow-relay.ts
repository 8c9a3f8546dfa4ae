// `ponton observe --all-nodes`, as Hubble Relay: the node asked reads every Ready node's flow
// records and merges them by time, each with its node's name. Nodes serve their records to each
// other on the node address (port FLOW_PEER_PORT) and only with the cluster's token: a random
// secret created once in etcd by compare-and-create, so only holders of etcd access can read flows.
import { randomBytes, timingSafeEqual } from "node:crypto";
import http, { type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Etcd3 } from "etcd3";
import { FLOW_QUERY_KEYS, type FlowQuery, type FlowRecord } from "../../flows";
import { etcdCall } from "../etcd";
import { ROOT } from "../keys";
import type { NodeView } from "../node-view";

export const FLOW_PEER_PORT = 4244;
const TOKEN_KEY = `${ROOT}cluster/flow-token`;

export type NodeFlow = FlowRecord & { node: string };

/** The cluster's token: the one in etcd, or a new one if this node is the first to ask. */
export async function clusterToken(etcd: Etcd3): Promise<string> {
  return etcdCall("read the cluster's flow token", async () => {
    const mine = randomBytes(32).toString("hex");
    await etcd.if(TOKEN_KEY, "Create", "==", 0).then(etcd.put(TOKEN_KEY).value(mine)).commit();
    return (await etcd.get(TOKEN_KEY).string())!;
  });
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Records matching a query string, newest `limit` (what GET /v1/flows answers locally). */
export type LocalFlows = (q: FlowQuery, limit: number | undefined) => FlowRecord[];

export function flowQueryOf(params: URLSearchParams): FlowQuery {
  return Object.fromEntries(FLOW_QUERY_KEYS.filter((k) => params.get(k)).map((k) => [k, params.get(k)!]));
}

/** Follow this node's new records until the returned function is called. */
export type LocalFollow = (q: FlowQuery, onRecord: (r: FlowRecord) => void) => () => void;

/**
 * The peer listener: GET /v1/flows?… (`follow=1`: new records as NDJSON) with `Authorization: Bearer
 * TOKEN`, and `more` routes (placement.ts, remote-commands.ts) and `upgrade`, nothing else.
 */
export function servePeers(
  address: string,
  token: string,
  local: LocalFlows,
  follow: LocalFollow,
  more?: (req: IncomingMessage, url: URL, res: ServerResponse) => Promise<boolean>,
  /** An upgraded request (a forwarded `exec`), after the same token check. */
  upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void,
): Promise<Server> {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://peer");
    const auth = req.headers.authorization ?? "";
    if (!auth.startsWith("Bearer ") || !sameSecret(auth.slice(7), token)) {
      res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "UNAUTHORIZED", message: "cluster flow token required" } }));
      return;
    }
    if (more && (await more(req, url, res))) return;
    if (req.method !== "GET" || url.pathname !== "/v1/flows") {
      res.writeHead(404).end();
      return;
    }
    if (url.searchParams.get("follow") === "1") {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.on("close", follow(flowQueryOf(url.searchParams), (r) => res.write(JSON.stringify(r) + "\n")));
      return;
    }
    try {
      const limit = url.searchParams.has("limit") ? Number(url.searchParams.get("limit")) : undefined;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(local(flowQueryOf(url.searchParams), limit)));
    } catch (e) {
      res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "INVALID_ARGUMENT", message: (e as Error).message } }));
    }
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const auth = req.headers.authorization ?? "";
    if (upgrade && auth.startsWith("Bearer ") && sameSecret(auth.slice(7), token)) return upgrade(req, socket, head);
    socket.end("HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(FLOW_PEER_PORT, address, () => resolve(server));
  });
}

function fetchPeer(address: string, token: string, search: string): Promise<FlowRecord[]> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: address, port: FLOW_PEER_PORT, path: `/v1/flows?${search}`, headers: { authorization: `Bearer ${token}` }, timeout: 5000 }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => (res.statusCode === 200 ? resolve(JSON.parse(body) as FlowRecord[]) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on("timeout", () => req.destroy(new Error("no answer within 5 s")));
    req.on("error", reject);
  });
}

/** Every Ready node's records (this one's read locally), merged by time; the newest `limit`. */
export async function allNodeFlows(self: string, nodes: NodeView[], token: string, local: LocalFlows, params: URLSearchParams): Promise<{ flows: NodeFlow[]; unreachable: { node: string; error: string }[] }> {
  const limit = params.has("limit") ? Number(params.get("limit")) : undefined;
  const q = flowQueryOf(params);
  const search = new URLSearchParams(params);
  const unreachable: { node: string; error: string }[] = [];
  const per = await Promise.all(
    nodes
      .filter((n) => n.status === "Ready")
      .map(async (n) => {
        try {
          const rs = n.name === self ? local(q, limit) : await fetchPeer(n.address, token, search.toString());
          return rs.map((r) => ({ ...r, node: n.name }));
        } catch (e) {
          unreachable.push({ node: n.name, error: (e as Error).message });
          return [];
        }
      }),
  );
  const merged = per.flat().sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.node < b.node ? -1 : a.node > b.node ? 1 : a.seq - b.seq));
  return { flows: limit ? merged.slice(-limit) : merged, unreachable };
}
