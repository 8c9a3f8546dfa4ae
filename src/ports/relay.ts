// The sockets the port holder keeps: bound (so no host process can take the port), and relaying
// whatever reaches them to the workload. Kernel DNAT runs first, so only what it cannot translate
// lands here: IPv6 clients of an IPv4-only workload (nft cannot DNAT across families) and [::1].
import dgram from "node:dgram";
import net from "node:net";
import type { HoldEntry } from "./holder-protocol";

export interface RelayCounters {
  relayed: number;
  open: number;
}

export interface HeldSocket {
  port: number;
  target: HoldEntry["target"];
  close(): void;
}

/** Relayed UDP "connections" (one per client address) end after this long without traffic. */
const UDP_IDLE_MS = 60_000;

function bindError(e: NodeJS.ErrnoException): NodeJS.ErrnoException {
  e.code ??= "EIO";
  return e;
}

export function holdTcp(e: HoldEntry, counters: RelayCounters): Promise<HeldSocket> {
  return new Promise((resolve, reject) => {
    const open = new Set<net.Socket>();
    const server = net.createServer({ allowHalfOpen: true }, (client) => {
      const t = held.target;
      if (!t) return client.destroy();
      counters.relayed++;
      counters.open++;
      const upstream = net.connect({ host: t.ip, port: t.port, allowHalfOpen: true });
      open.add(client);
      const done = () => {
        if (!open.delete(client)) return;
        counters.open--;
        client.destroy();
        upstream.destroy();
      };
      client.pipe(upstream).pipe(client);
      for (const s of [client, upstream]) {
        s.on("error", done);
        s.on("close", done);
      }
    });
    const held: HeldSocket = {
      port: 0,
      target: e.target,
      close: () => {
        server.close();
        for (const s of open) s.destroy();
      },
    };
    server.once("error", (err) => reject(bindError(err)));
    server.listen({ host: e.address, port: e.port, ipv6Only: e.v6only, backlog: 511 }, () => {
      held.port = (server.address() as net.AddressInfo).port;
      server.on("error", () => undefined);
      resolve(held);
    });
  });
}

export function holdUdp(e: HoldEntry, counters: RelayCounters): Promise<HeldSocket> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket({ type: e.address.includes(":") ? "udp6" : "udp4", ipv6Only: e.v6only });
    const sessions = new Map<string, { up: dgram.Socket; timer: NodeJS.Timeout }>();
    const end = (key: string) => {
      const s = sessions.get(key);
      if (!s) return;
      sessions.delete(key);
      clearTimeout(s.timer);
      s.up.close();
      counters.open--;
    };
    sock.on("message", (msg, client) => {
      const t = held.target;
      if (!t) return;
      const key = `${client.address} ${client.port}`;
      let s = sessions.get(key);
      if (!s) {
        const up = dgram.createSocket(t.ip.includes(":") ? "udp6" : "udp4");
        up.on("message", (reply, from) => {
          if (from.address === t.ip && from.port === t.port) sock.send(reply, client.port, client.address);
        });
        up.on("error", () => end(key));
        s = { up, timer: setTimeout(() => end(key), UDP_IDLE_MS) };
        sessions.set(key, s);
        counters.relayed++;
        counters.open++;
      }
      s.timer.refresh();
      s.up.send(msg, t.port, t.ip);
    });
    const held: HeldSocket = {
      port: 0,
      target: e.target,
      close: () => {
        for (const key of [...sessions.keys()]) end(key);
        sock.close();
      },
    };
    sock.once("error", (err) => reject(bindError(err)));
    sock.bind({ address: e.address, port: e.port, exclusive: true }, () => {
      held.port = sock.address().port;
      sock.on("error", () => undefined);
      resolve(held);
    });
  });
}
