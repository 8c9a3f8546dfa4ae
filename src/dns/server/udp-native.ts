// UDP through the native fast path: a listener thread answers the queries whose (client view,
// question bytes) the table holds and hands every other datagram to JS, which replies through
// the same socket.
import { fastpathAddon, type NativeHandle } from "./fastpath-addon";
import type { UdpEndpoint, UdpOpener } from "./udp-endpoint";

export function nativeUdp(table: NativeHandle): UdpOpener {
  return async (address, port, onQuery, clients) => {
    const addon = fastpathAddon();
    let listener: NativeHandle;
    try {
      listener = addon.listen(table, address, port, (msg, peer, clientAddress) => onQuery(msg, clientAddress, (res) => addon.send(listener, res, peer), peer), clients);
    } catch (err) {
      // The same text as Node's own socket errors: "bind EADDRINUSE 127.0.0.1:53".
      const e = err as NodeJS.ErrnoException;
      throw Object.assign(new Error(`${e.message} ${address}:${port}`), { code: e.code });
    }
    const endpoint: UdpEndpoint = {
      port: addon.localPort(listener),
      close: async () => addon.close(listener),
    };
    return endpoint;
  };
}
