// Query/response exchanges with one upstream. UDP goes over a small pool of connected sockets
// (the kernel then filters foreign sources and reports ICMP port-unreachable as ECONNREFUSED, so
// a dead server fails fast); each query gets a fresh random id. TCP opens one connection per
// exchange: it is the rare path (truncated answers, TCP clients).
import { randomInt } from "node:crypto";
import * as dgram from "node:dgram";
import { isIPv6 } from "node:net";
import * as net from "node:net";
import { QR, questionNameLength } from "../wire/wire";

interface Pending {
  question: string;
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface PooledSocket {
  socket: dgram.Socket;
  pending: Map<number, Pending>;
  ready: Promise<void>;
}

/** Lowercased question section (name, type, class) as the match key between query and answer. */
function questionKey(msg: Buffer): string {
  const end = 12 + questionNameLength(msg) + 4;
  if (end > msg.length) throw new Error("short question");
  return msg.toString("latin1", 12, end).toLowerCase();
}

export class UdpUpstream {
  private readonly pool: PooledSocket[] = [];
  private next = 0;
  private closed = false;

  constructor(readonly address: string, readonly port: number, private readonly poolSize = 4) {}

  /** Sends `query` (its id is replaced) and resolves with the matching response bytes. */
  exchange(query: Buffer, timeoutMs: number): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error("upstream client closed"));
    const ps = this.socket();
    let id = randomInt(0x10000);
    for (let i = 0; ps.pending.has(id) && i < 16; i++) id = randomInt(0x10000);
    if (ps.pending.has(id)) return Promise.reject(new Error("no free query id"));
    const msg = Buffer.from(query);
    msg.writeUInt16BE(id, 0);
    const question = questionKey(msg);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        ps.pending.delete(id);
        reject(new Error(`timeout after ${timeoutMs} ms`));
      }, timeoutMs);
      ps.pending.set(id, { question, resolve, reject, timer });
      ps.ready.then(
        () => ps.socket.send(msg, (err) => err && this.fail(ps, id, err)),
        (err: Error) => this.fail(ps, id, err),
      );
    });
  }

  close(): void {
    this.closed = true;
    for (const ps of this.pool) {
      for (const id of [...ps.pending.keys()]) this.fail(ps, id, new Error("upstream client closed"));
      try {
        ps.socket.close();
      } catch {
        // already closed
      }
    }
    this.pool.length = 0;
  }

  private socket(): PooledSocket {
    if (this.pool.length < this.poolSize) {
      const socket = dgram.createSocket(isIPv6(this.address) ? "udp6" : "udp4");
      const ps: PooledSocket = {
        socket,
        pending: new Map(),
        ready: new Promise<void>((resolve, reject) => {
          socket.once("error", reject);
          socket.connect(this.port, this.address, () => {
            socket.off("error", reject);
            resolve();
          });
        }),
      };
      ps.ready.catch(() => undefined);
      // ICMP errors arrive here; they cannot be tied to one query, so every query in flight on
      // this socket fails and the forwarder tries the next server.
      socket.on("error", (err) => {
        for (const id of [...ps.pending.keys()]) this.fail(ps, id, err);
      });
      socket.on("message", (m) => this.onMessage(ps, m));
      this.pool.push(ps);
      return ps;
    }
    return this.pool[this.next++ % this.pool.length];
  }

  private onMessage(ps: PooledSocket, m: Buffer): void {
    if (m.length < 12 || !(m.readUInt16BE(2) & QR)) return;
    const p = ps.pending.get(m.readUInt16BE(0));
    if (!p) return;
    let q: string;
    try {
      q = questionKey(m);
    } catch {
      return; // garbage with a matching id: keep waiting for the real answer
    }
    if (q !== p.question) return;
    ps.pending.delete(m.readUInt16BE(0));
    clearTimeout(p.timer);
    p.resolve(m);
  }

  private fail(ps: PooledSocket, id: number, err: Error): void {
    const p = ps.pending.get(id);
    if (!p) return;
    ps.pending.delete(id);
    clearTimeout(p.timer);
    p.reject(err);
  }
}

/** One query over a fresh TCP connection (RFC 7766 framing: 2-byte length prefix). */
export function tcpExchange(address: string, port: number, query: Buffer, timeoutMs: number, signal?: AbortSignal): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    if (signal?.aborted) return reject(new Error("upstream client closed"));
    const id = randomInt(0x10000);
    const msg = Buffer.alloc(query.length + 2);
    msg.writeUInt16BE(query.length, 0);
    query.copy(msg, 2);
    msg.writeUInt16BE(id, 2);
    const sock = net.connect({ host: address, port });
    const chunks: Buffer[] = [];
    let have = 0;
    const onAbort = () => done(new Error("upstream client closed"));
    signal?.addEventListener("abort", onAbort);
    const done = (err: Error | undefined, b?: Buffer) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      sock.destroy();
      if (err) reject(err);
      else resolve(b!);
    };
    const timer = setTimeout(() => done(new Error(`tcp timeout after ${timeoutMs} ms`)), timeoutMs);
    sock.on("connect", () => sock.write(msg));
    sock.on("error", (err) => done(err));
    sock.on("close", () => done(new Error("tcp connection closed before an answer")));
    sock.on("data", (d: Buffer) => {
      chunks.push(d);
      have += d.length;
      if (have < 2) return;
      const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      chunks.length = 0;
      chunks.push(all);
      const len = all.readUInt16BE(0);
      if (have < len + 2) return;
      const m = all.subarray(2, len + 2);
      if (len < 12 || m.readUInt16BE(0) !== id || !(m.readUInt16BE(2) & QR)) return done(new Error("tcp answer does not match the query"));
      done(undefined, Buffer.from(m));
    });
  });
}
