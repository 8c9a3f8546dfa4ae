// Test client: queries over UDP (optionally from a chosen loopback source, which selects the
// view) and TCP, always closing its socket.
import * as dgram from "node:dgram";
import * as net from "node:net";
import * as dnsPacket from "dns-packet";

export interface Target {
  address: string;
  port: number;
}

let nextId = 1;

export function query(name: string, type: dnsPacket.RecordType, extra: Partial<dnsPacket.Packet> = {}): dnsPacket.Packet {
  return { type: "query", id: nextId++ & 0xffff, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: "IN" }], ...extra };
}

/** Sends raw datagrams from one socket; resolves with the replies once `expect` arrived or at the timeout. */
export function udpRaw(to: Target, msgs: Buffer[], opts: { from?: string; expect?: number; timeoutMs?: number } = {}): Promise<Buffer[]> {
  const expect = opts.expect ?? msgs.length;
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(net.isIPv6(to.address) ? "udp6" : "udp4");
    const got: Buffer[] = [];
    const finish = () => {
      clearTimeout(timer);
      sock.close();
      resolve(got);
    };
    const timer = setTimeout(finish, opts.timeoutMs ?? 2000);
    sock.on("error", (err) => {
      clearTimeout(timer);
      sock.close();
      reject(err);
    });
    sock.on("message", (m) => {
      got.push(m);
      if (got.length >= expect) finish();
    });
    sock.bind({ address: opts.from ?? (net.isIPv6(to.address) ? "::1" : "127.0.0.1"), port: 0 }, () => {
      for (const m of msgs) sock.send(m, to.port, to.address);
    });
  });
}

export async function udpQuery(to: Target, packet: dnsPacket.Packet, opts: { from?: string; timeoutMs?: number } = {}): Promise<dnsPacket.DecodedPacket> {
  const [reply] = await udpRaw(to, [dnsPacket.encode(packet)], { ...opts, expect: 1 });
  if (!reply) throw new Error(`no UDP answer for ${packet.questions?.[0]?.name}`);
  return dnsPacket.decode(reply);
}

/** Writes raw bytes on one TCP connection and collects framed replies until `expect` arrive or the timeout. */
export function tcpRaw(to: Target, data: Buffer, opts: { expect?: number; timeoutMs?: number; from?: string } = {}): Promise<Buffer[]> {
  const expect = opts.expect ?? 1;
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: to.address, port: to.port, localAddress: opts.from });
    const got: Buffer[] = [];
    let buf = Buffer.alloc(0);
    const finish = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(got);
    };
    const timer = setTimeout(finish, opts.timeoutMs ?? 2000);
    sock.on("connect", () => sock.write(data));
    sock.on("error", (err) => {
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    });
    sock.on("close", finish);
    sock.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= buf.readUInt16BE(0) + 2) {
        got.push(buf.subarray(2, buf.readUInt16BE(0) + 2));
        buf = buf.subarray(buf.readUInt16BE(0) + 2);
      }
      if (got.length >= expect) finish();
    });
  });
}

export async function tcpQuery(to: Target, packet: dnsPacket.Packet, opts: { from?: string; timeoutMs?: number } = {}): Promise<dnsPacket.DecodedPacket> {
  const [reply] = await tcpRaw(to, dnsPacket.streamEncode(packet), { ...opts, expect: 1 });
  if (!reply) throw new Error(`no TCP answer for ${packet.questions?.[0]?.name}`);
  return dnsPacket.decode(reply);
}

export function rcode(p: dnsPacket.DecodedPacket): string {
  return (p as unknown as { rcode: string }).rcode;
}
