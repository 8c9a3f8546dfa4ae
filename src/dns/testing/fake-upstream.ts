// A tiny upstream resolver on loopback for tests: answers from a function, counts what it gets
// per transport, and can truncate UDP answers or stay silent. Never touches a real resolver.
import * as dgram from "node:dgram";
import * as net from "node:net";
import * as dnsPacket from "dns-packet";

export interface SeenQuery {
  name: string;
  type: string;
  transport: "udp" | "tcp";
  edns: boolean;
  dnssecOk: boolean;
}

export interface FakeAnswer {
  rcode?: number;
  answers?: dnsPacket.Answer[];
  authorities?: dnsPacket.Answer[];
}

export interface FakeUpstreamOptions {
  address: string;
  /** Default: A 192.0.2.x for any name, NXDOMAIN with an SOA (minimum 60) for names starting with "nx". */
  answer?: (q: dnsPacket.Question) => FakeAnswer;
  /** Over UDP, reply with TC=1 and no records (the full answer only over TCP). */
  truncateUdp?: boolean;
  /** Never reply (a dead server that still has its port open). */
  silent?: boolean;
  /** Delay before replying, ms. */
  delayMs?: number;
}

export function defaultAnswer(q: dnsPacket.Question): FakeAnswer {
  if (q.name.toLowerCase().startsWith("nx")) {
    return {
      rcode: 3,
      authorities: [{ type: "SOA", name: "example", ttl: 300, data: { mname: "ns.example", rname: "h.example", serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 60 } }],
    };
  }
  if (q.type === "A") return { answers: [{ type: "A", name: q.name, ttl: 300, data: "192.0.2.10" }] };
  return { answers: [] };
}

export class FakeUpstream {
  readonly seen: SeenQuery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly conns = new Set<net.Socket>();

  private constructor(readonly address: string, readonly port: number, private readonly udp: dgram.Socket, private readonly tcp: net.Server) {}

  count(transport?: "udp" | "tcp"): number {
    return this.seen.filter((s) => !transport || s.transport === transport).length;
  }

  static async start(opts: FakeUpstreamOptions): Promise<FakeUpstream> {
    const udp = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => udp.bind(0, opts.address, () => resolve()));
    const port = udp.address().port;
    const tcp = net.createServer();
    await new Promise<void>((resolve, reject) => {
      tcp.once("error", reject);
      tcp.listen(port, opts.address, () => resolve());
    });
    const f = new FakeUpstream(opts.address, port, udp, tcp);
    udp.on("message", (m, rinfo) => f.reply(opts, m, "udp", (b) => udp.send(b, rinfo.port, rinfo.address)));
    tcp.on("connection", (sock) => {
      f.conns.add(sock);
      sock.on("close", () => f.conns.delete(sock));
      sock.on("error", () => undefined);
      let buf = Buffer.alloc(0);
      sock.on("data", (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= buf.readUInt16BE(0) + 2) {
          const m = buf.subarray(2, buf.readUInt16BE(0) + 2);
          buf = buf.subarray(buf.readUInt16BE(0) + 2);
          f.reply(opts, m, "tcp", (b) => !sock.destroyed && sock.write(Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b])));
        }
      });
    });
    return f;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    for (const c of this.conns) c.destroy();
    await new Promise<void>((resolve) => this.udp.close(() => resolve()));
    await new Promise<void>((resolve) => this.tcp.close(() => resolve()));
  }

  private reply(opts: FakeUpstreamOptions, m: Buffer, transport: "udp" | "tcp", send: (b: Buffer) => void): void {
    const q = dnsPacket.decode(m);
    const opt = q.additionals?.find((a) => a.type === "OPT") as dnsPacket.OptAnswer | undefined;
    const question = q.questions![0];
    this.seen.push({ name: question.name, type: question.type, transport, edns: !!opt, dnssecOk: !!opt && (opt.flags & dnsPacket.DNSSEC_OK) !== 0 });
    if (opts.silent) return;
    const a = (opts.answer ?? defaultAnswer)(question);
    const truncated = transport === "udp" && opts.truncateUdp;
    const res = dnsPacket.encode({
      type: "response",
      id: q.id,
      flags: dnsPacket.RECURSION_AVAILABLE | dnsPacket.RECURSION_DESIRED | (truncated ? dnsPacket.TRUNCATED_RESPONSE : 0) | (a.rcode ?? 0),
      questions: [question],
      answers: truncated ? [] : a.answers ?? [],
      authorities: truncated ? [] : a.authorities ?? [],
      additionals: opt ? [{ type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: opt.flags, flag_do: false, options: [] }] : [],
    });
    if (!opts.delayMs) return send(res);
    const t = setTimeout(() => {
      this.timers.delete(t);
      send(res);
    }, opts.delayMs);
    this.timers.add(t);
  }
}
