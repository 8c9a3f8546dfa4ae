// One address we serve on: a UDP endpoint and a TCP server on the same port. TCP connections are
// bounded in number (in all and per client address), idle time and queries in flight, so a slow
// or hostile client holds little and cannot lock the others out of TCP fallback.
import * as net from "node:net";
import type { ClientAcl } from "./client-acl";
import { FrameReader, frame } from "../wire/tcp-framing";
import type { UdpEndpoint, UdpOpener, UdpQueryHandler } from "./udp-endpoint";

export interface ListenAddress {
  address: string;
  port: number;
}

/** Called exactly once per query; undefined means the query is dropped without an answer. */
export type Reply = (response: Buffer | undefined) => void;

export interface ListenerHandlers {
  udp: UdpQueryHandler;
  tcp(msg: Buffer, clientAddress: string, clientPort: number, reply: Reply): void;
}

export interface ListenerLimits {
  maxTcpConnections: number;
  /** Connections one client address may hold at once. */
  maxTcpPerClient: number;
  /** A connection with nothing received for this long is closed (the timer restarts on each read). */
  tcpIdleMs: number;
  maxTcpInflight: number;
}

/** Who this listener serves and how: `clients` are prefixes (undefined: anyone). */
export interface ListenOptions {
  clients?: readonly string[];
  /** An --internal network: local names only, nothing forwarded. */
  sealed?: boolean;
}

export class Listener {
  private readonly connections = new Set<net.Socket>();
  private readonly perClient = new Map<string, number>();

  private constructor(
    readonly address: string,
    readonly port: number,
    private readonly udp: UdpEndpoint,
    private readonly tcp: net.Server,
  ) {}

  get label(): string {
    return this.address.includes(":") ? `[${this.address}]:${this.port}` : `${this.address}:${this.port}`;
  }

  /** Binds UDP then TCP on the port UDP got (port 0 picks one free for both, retried on a clash). */
  static async open(at: ListenAddress, handlers: ListenerHandlers, limits: ListenerLimits, openUdp: UdpOpener, clients: readonly string[] | undefined, acl: ClientAcl): Promise<Listener> {
    for (let attempt = 0; ; attempt++) {
      let udp: UdpEndpoint;
      try {
        udp = await openUdp(at.address, at.port, handlers.udp, clients);
      } catch (err) {
        throw Object.assign(new Error(`dns listen udp ${at.address}:${at.port}: ${(err as Error).message}`), { code: (err as NodeJS.ErrnoException).code });
      }
      const port = udp.port;
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
        await udp.close();
        tcp.close();
        if (at.port === 0 && attempt < 5) continue;
        throw Object.assign(new Error(`dns listen tcp ${at.address}:${port}: ${(err as Error).message}`), { code: (err as NodeJS.ErrnoException).code });
      }
      const l = new Listener(at.address, port, udp, tcp);
      l.wire(handlers, limits, acl);
      return l;
    }
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    this.perClient.clear();
    await Promise.all([
      this.udp.close(),
      new Promise<void>((resolve) => this.tcp.close(() => resolve())),
    ]);
  }

  private wire(h: ListenerHandlers, limits: ListenerLimits, acl: ClientAcl): void {
    this.tcp.on("error", () => undefined);
    this.tcp.on("connection", (sock) => {
      const client = sock.remoteAddress ?? "";
      const held = this.perClient.get(client) ?? 0;
      // An outsider gets no TCP service at all; an insider at its share is turned away alone.
      if (!acl(client) || this.connections.size >= limits.maxTcpConnections || held >= limits.maxTcpPerClient) {
        sock.destroy();
        return;
      }
      this.connections.add(sock);
      this.perClient.set(client, held + 1);
      const reader = new FrameReader();
      let inflight = 0;
      sock.setTimeout(limits.tcpIdleMs, () => sock.destroy());
      sock.on("error", () => undefined);
      sock.on("close", () => {
        this.connections.delete(sock);
        const n = (this.perClient.get(client) ?? 1) - 1;
        if (n > 0) this.perClient.set(client, n);
        else this.perClient.delete(client);
      });
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
