// One address we serve on: a UDP socket and a TCP server on the same port. TCP connections are
// bounded in number, idle time and queries in flight, so a slow or hostile client holds little.
import * as dgram from "node:dgram";
import * as net from "node:net";
import { FrameReader, frame } from "./tcp-framing";

export interface ListenAddress {
  address: string;
  port: number;
}

/** Called exactly once per query; undefined means the query is dropped without an answer. */
export type Reply = (response: Buffer | undefined) => void;

export interface ListenerHandlers {
  udp(msg: Buffer, rinfo: dgram.RemoteInfo, socket: dgram.Socket): void;
  tcp(msg: Buffer, clientAddress: string, clientPort: number, reply: Reply): void;
}

export interface ListenerLimits {
  maxTcpConnections: number;
  tcpIdleMs: number;
  maxTcpInflight: number;
}

export class Listener {
  private readonly connections = new Set<net.Socket>();

  private constructor(
    readonly address: string,
    readonly port: number,
    private readonly udp: dgram.Socket,
    private readonly tcp: net.Server,
  ) {}

  get label(): string {
    return this.address.includes(":") ? `[${this.address}]:${this.port}` : `${this.address}:${this.port}`;
  }

  /** Binds UDP then TCP on the port UDP got (port 0 picks one free for both, retried on a clash). */
  static async open(at: ListenAddress, handlers: ListenerHandlers, limits: ListenerLimits): Promise<Listener> {
    for (let attempt = 0; ; attempt++) {
      const family = net.isIPv6(at.address) ? 6 : 4;
      const udp = dgram.createSocket({ type: family === 6 ? "udp6" : "udp4", lookup: literalLookup(family) });
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once("error", reject);
          udp.bind({ address: at.address, port: at.port, exclusive: true }, () => {
            udp.off("error", reject);
            resolve();
          });
        });
      } catch (err) {
        udp.close();
        throw new Error(`dns listen udp ${at.address}:${at.port}: ${(err as Error).message}`);
      }
      const port = udp.address().port;
      const tcp = net.createServer();
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once("error", reject);
          tcp.listen({ host: at.address, port, exclusive: true }, () => {
            tcp.off("error", reject);
            resolve();
          });
        });
      } catch (err) {
        udp.close();
        tcp.close();
        if (at.port === 0 && attempt < 5) continue;
        throw new Error(`dns listen tcp ${at.address}:${port}: ${(err as Error).message}`);
      }
      const l = new Listener(at.address, port, udp, tcp);
      l.wire(handlers, limits);
      return l;
    }
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    await Promise.all([
      new Promise<void>((resolve) => this.udp.close(() => resolve())),
      new Promise<void>((resolve) => this.tcp.close(() => resolve())),
    ]);
  }

  private wire(h: ListenerHandlers, limits: ListenerLimits): void {
    try {
      this.udp.setRecvBufferSize(4 << 20); // absorb bursts; the kernel caps it at rmem_max
    } catch {
      // not fatal
    }
    // Socket-level errors (e.g. ICMP from a client that went away) must not kill the process.
    this.udp.on("error", () => undefined);
    this.udp.on("message", (msg, rinfo) => h.udp(msg, rinfo, this.udp));
    this.tcp.on("error", () => undefined);
    this.tcp.on("connection", (sock) => {
      if (this.connections.size >= limits.maxTcpConnections) {
        sock.destroy();
        return;
      }
      this.connections.add(sock);
      const reader = new FrameReader();
      let inflight = 0;
      sock.setTimeout(limits.tcpIdleMs, () => sock.destroy());
      sock.on("error", () => undefined);
      sock.on("close", () => this.connections.delete(sock));
      const reply: Reply = (response) => {
        inflight--;
        if (response && !sock.destroyed && response.length <= 0xffff) sock.write(frame(response));
      };
      sock.on("data", (chunk: Buffer) => {
        for (const msg of reader.push(chunk)) {
          if (++inflight > limits.maxTcpInflight) {
            sock.destroy();
            return;
          }
          h.tcp(msg, sock.remoteAddress ?? "", sock.remotePort ?? 0, reply);
        }
      });
    });
  }
}

/**
 * Replies go to the literal address a query came from, of the socket's own family: skip
 * dns.lookup, its address regexes and its nextTick on every send.
 */
function literalLookup(family: 4 | 6) {
  return (address: string, _opts: unknown, cb: (err: Error | null, address: string, family: number) => void): void => cb(null, address, family);
}
