// The L7 proxy: one process for every port guarded by HTTP rules on this host. nft redirects a
// workload's new connection to such a port (after the L3/L4 policy) to the listener pontond gave
// for that address and port; the proxy checks each request against the listener's rules, answers
// 403 `Access denied` or relays it to the workload over a kept-alive connection, and records it.
// pontond starts it detached and it outlives pontond, as the port holder does: a restart cuts
// no proxied connection; records made while no pontond is connected are counted as lost.
import http from "node:http";
import net from "node:net";
import type { L7Listener } from "../policy";
import { decide } from "./http-match";
import type { L7Event, ListenResult, ProxyReply, ProxyRequest, ProxyStatus } from "./proxy-protocol";
import { serveLineRpc } from "../detached/line-rpc-server";

/** Cilium's (Envoy's) answer to a request no rule allows. */
const DENIED_BODY = "Access denied\r\n";
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"]);
const FLUSH_MS = 50;
const FLUSH_COUNT = 512;

interface Served {
  config: L7Listener;
  server: http.Server;
  agent: http.Agent;
}

const served = new Map<number, Served>();
const clients = new Set<net.Socket>();
const status = { open: 0, requests: 0, lostRecords: 0 };
let pending: L7Event[] = [];
let flushTimer: NodeJS.Timeout | undefined;

function flush(): void {
  flushTimer = undefined;
  if (pending.length === 0) return;
  const batch = pending;
  pending = [];
  if (clients.size === 0) {
    status.lostRecords += batch.length;
    return;
  }
  const line = `${JSON.stringify({ records: batch, lost: status.lostRecords } satisfies ProxyReply)}\n`;
  for (const c of clients) c.write(line);
}

function record(e: L7Event): void {
  status.requests++;
  pending.push(e);
  if (pending.length >= FLUSH_COUNT) flush();
  else flushTimer ??= setTimeout(flush, FLUSH_MS);
}

/** rawHeaders without the hop-by-hop ones (the proxy manages each side's connection itself). */
function endToEnd(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  return out;
}

function handle(s: Served, req: http.IncomingMessage, res: http.ServerResponse): void {
  const l = s.config;
  const t = Date.now();
  const start = process.hrtime.bigint();
  const src = (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
  const base = { t, src, sport: req.socket.remotePort ?? 0, dst: l.ip, dport: l.port, method: req.method ?? "", url: req.url ?? "", ...(req.headers.host ? { host: req.headers.host } : {}) };
  const done = (statusCode: number, verdict: L7Event["verdict"], rule?: L7Event["rule"]) => {
    record({ ...base, status: statusCode, latencyMs: Number(process.hrtime.bigint() - start) / 1e6, verdict, ...(rule ? { rule } : {}) });
  };
  const d = decide(l, src, { method: base.method, url: base.url, host: req.headers.host ?? "", headers: req.headers });
  if (!d.allowed) {
    // The unread body is discarded by Node once the answer is sent: the connection stays usable.
    res.writeHead(403, { "content-type": "text/plain", "content-length": String(DENIED_BODY.length) });
    res.end(DENIED_BODY, () => done(403, "DROPPED"));
    return;
  }
  const up = http.request({ host: l.ip, port: l.port, method: req.method, path: req.url, headers: endToEnd(req.rawHeaders) as unknown as http.OutgoingHttpHeaders, agent: s.agent, setHost: false });
  up.on("response", (ur) => {
    res.writeHead(ur.statusCode ?? 502, ur.statusMessage, endToEnd(ur.rawHeaders));
    ur.pipe(res);
    res.on("finish", () => done(ur.statusCode ?? 502, "FORWARDED", d.rule));
  });
  up.on("error", (err) => {
    if (!res.headersSent) {
      const body = `upstream connect error: ${(err as NodeJS.ErrnoException).code ?? err.message}\r\n`;
      res.writeHead(503, { "content-type": "text/plain", "content-length": String(Buffer.byteLength(body)) });
      res.end(body);
    } else res.destroy();
    done(503, "ERROR", d.rule);
  });
  req.pipe(up);
}

function listen(config: L7Listener): Promise<ListenResult> {
  const existing = served.get(config.listen);
  if (existing && existing.config.ip === config.ip && existing.config.port === config.port) {
    existing.config = config;
    return Promise.resolve({ listen: config.listen });
  }
  existing?.server.close();
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256 });
  const s: Served = { config, agent, server: http.createServer({ keepAliveTimeout: 60_000 }) };
  s.server.on("request", (req, res) => handle(s, req, res));
  s.server.on("connection", (c: net.Socket) => {
    status.open++;
    c.setNoDelay(true);
    c.on("close", () => status.open--);
  });
  return new Promise((resolve) => {
    s.server.once("error", (err: NodeJS.ErrnoException) => resolve({ listen: config.listen, error: { errno: err.code ?? "EIO", message: err.message } }));
    s.server.listen({ port: config.listen, host: "0.0.0.0" }, () => {
      served.set(config.listen, s);
      resolve({ listen: config.listen });
    });
  });
}

async function answer(r: ProxyRequest): Promise<ProxyReply> {
  if (r.op === "status") {
    const st: ProxyStatus = { pid: process.pid, listeners: served.size, ...status };
    return { id: r.id, status: st };
  }
  const keep = new Set(r.listeners.map((l) => l.listen));
  for (const [port, s] of served) {
    if (keep.has(port)) continue;
    // No new connections; open ones finish their requests (idle ones close now).
    s.server.close();
    s.server.closeIdleConnections();
    s.agent.destroy();
    served.delete(port);
  }
  return { id: r.id, results: await Promise.all(r.listeners.map(listen)) };
}

function exitIfIdle(): void {
  if (served.size === 0 && clients.size === 0) {
    flush();
    process.exit(0);
  }
}

function serve(socketPath: string): void {
  serveLineRpc<ProxyRequest, ProxyReply>(socketPath, answer, (err) => ({ id: -1, error: String(err) }), {
    opened: (c) => void clients.add(c),
    closed: (c) => void clients.delete(c),
    settled: exitIfIdle,
  });
}

if (require.main === module) {
  const socketPath = process.argv[2];
  if (!socketPath) {
    console.error("usage: proxy-main SOCKET");
    process.exit(2);
  }
  process.on("SIGHUP", () => undefined);
  serve(socketPath);
}
