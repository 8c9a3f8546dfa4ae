// `ponton run --node N` and the cluster-wide `ponton ls`. The node asked forwards the run to node N's
// peer listener (the node address, port 4244, the cluster token — as `observe --all-nodes` reads
// flows), and N makes the workload itself: it stays the only writer of its workloads (they live and
// die with its lease, as its own `run` would), and the caller gets N's answer or N's error, code
// included, synchronously — a placement record N watched would need a way back for both.
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { codeInfo, EngineError, type ErrorCode } from "../../errors";
import { FLOW_PEER_PORT } from "../flows/flow-relay";
import type { NodeView } from "../node-view";

/** What a node's peer listener runs locally for another node. */
export interface LocalWorkloads {
  list(): unknown[];
  run(spec: Record<string, unknown>): Promise<unknown>;
}

const MAX_BODY = 4 << 20;

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.on("data", (d: Buffer) => {
      body += d.toString();
      if (body.length > MAX_BODY) req.destroy(new Error("request body over 4 MiB"));
    });
    req.on("end", () => {
      try {
        resolve(JSON.parse(body || "{}"));
      } catch (e) {
        reject(new EngineError("INVALID_ARGUMENT", `placement request: ${(e as Error).message}`));
      }
    });
    req.on("error", reject);
  });
}

const send = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));

/** The peer listener's workload routes (after its token check): GET and POST /v1/workloads. */
export function peerWorkloads(local: LocalWorkloads) {
  return async (req: IncomingMessage, url: URL, res: ServerResponse): Promise<boolean> => {
    if (url.pathname !== "/v1/workloads") return false;
    if (req.method === "GET") send(res, 200, local.list());
    else if (req.method === "POST") {
      try {
        const { replicaOf: _engineOnly, node: _placed, ...spec } = (await readBody(req)) as Record<string, unknown>;
        send(res, 201, await local.run(spec));
      } catch (e) {
        const err = e instanceof EngineError ? e : new EngineError("INTERNAL", (e as Error).message);
        send(res, codeInfo(err.code).http, { error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } });
      }
    } else return false;
    return true;
  };
}

export function callPeer<T>(node: NodeView, token: string, method: string, body: unknown, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ host: node.address, port: FLOW_PEER_PORT, path: "/v1/workloads", method, timeout: timeoutMs, headers: { authorization: `Bearer ${token}`, ...(data ? { "content-type": "application/json", "content-length": Buffer.byteLength(data) } : {}) } }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          return reject(new Error(`HTTP ${res.statusCode}`));
        }
        if (res.statusCode === 200 || res.statusCode === 201) return resolve(parsed as T);
        const e = (parsed as { error?: { code?: string; message?: string; hint?: string } }).error;
        reject(e?.code ? new EngineError(e.code as ErrorCode, `node ${node.name}: ${e.message ?? ""}`, e.hint ? { hint: e.hint } : {}) : new Error(`HTTP ${res.statusCode}`));
      });
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on("error", reject);
    req.end(data);
  });
}

/** The node a workload is placed on: known and Ready, or an error with its code. */
export function placementTarget(nodes: NodeView[], name: string): NodeView {
  const n = nodes.find((x) => x.name === name);
  if (!n) throw new EngineError("NODE_NOT_FOUND", `run --node ${name}: no node ${name} in the cluster`, { hint: `nodes: ${nodes.map((x) => x.name).join(", ") || "none"} (ponton node ls)` });
  if (n.status !== "Ready") throw new EngineError("NODE_NOT_READY", `run --node ${name}: node ${name} is NotReady (last heartbeat ${n.heartbeat})`);
  return n;
}

/** Run on another node: its answer, or its error (code kept); a node that does not answer is NODE_NOT_READY. */
export async function runOnPeer(node: NodeView, token: string, spec: Record<string, unknown>): Promise<unknown> {
  try {
    return await callPeer(node, token, "POST", spec, 60_000);
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new EngineError("NODE_NOT_READY", `run --node ${node.name}: node ${node.name} at ${node.address} did not answer (${(e as Error).message})`);
  }
}

/** Every Ready node's workloads (this one's read locally), each with its node; nodes that did not answer. */
export async function allNodeWorkloads(self: string, nodes: NodeView[], token: string, local: LocalWorkloads): Promise<{ workloads: Record<string, unknown>[]; unreachable: { node: string; error: string }[] }> {
  const unreachable: { node: string; error: string }[] = [];
  const per = await Promise.all(
    nodes.map(async (n) => {
      if (n.status !== "Ready" && n.name !== self) {
        unreachable.push({ node: n.name, error: "NotReady" });
        return [];
      }
      try {
        const ws = n.name === self ? local.list() : await callPeer<unknown[]>(n, token, "GET", undefined, 5000);
        return ws.map((w) => ({ ...(w as Record<string, unknown>), node: n.name }));
      } catch (e) {
        unreachable.push({ node: n.name, error: (e as Error).message });
        return [];
      }
    }),
  );
  return { workloads: per.flat(), unreachable };
}
