// UDP through Node's dgram: every query enters JS. The path without the native addon.
import * as dgram from "node:dgram";
import * as net from "node:net";
import type { UdpEndpoint, UdpOpener } from "./udp-endpoint";

export const openNodeUdp: UdpOpener = async (address, port, onQuery) => {
  const family = net.isIPv6(address) ? 6 : 4;
  const udp = dgram.createSocket({ type: family === 6 ? "udp6" : "udp4", lookup: literalLookup(family) });
  try {
    await new Promise<void>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind({ address, port, exclusive: true }, () => {
        udp.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    udp.close();
    throw err;
  }
  try {
    udp.setRecvBufferSize(4 << 20); // absorb bursts; the kernel caps it at rmem_max
  } catch {
    // not fatal
  }
  // Socket-level errors (e.g. ICMP from a client that went away) must not kill the process.
  udp.on("error", () => undefined);
  udp.on("message", (msg, rinfo) => onQuery(msg, rinfo.address, (res) => udp.send(res, rinfo.port, rinfo.address), undefined));
  const endpoint: UdpEndpoint = {
    port: udp.address().port,
    close: () => new Promise<void>((resolve) => udp.close(() => resolve())),
  };
  return endpoint;
};

/**
 * Replies go to the literal address a query came from, of the socket's own family: skip
 * dns.lookup, its address regexes and its nextTick on every send.
 */
function literalLookup(family: 4 | 6) {
  return (address: string, _opts: unknown, cb: (err: Error | null, address: string, family: number) => void): void => cb(null, address, family);
}
