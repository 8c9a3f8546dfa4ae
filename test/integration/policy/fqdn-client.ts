// Inside a workload: resolve each name with one UDP query to the resolver and connect to the
// answer's address on the same tick it arrives (no process start in between, unlike dig; then
// socat): the tightest "connect right after the answer". Prints "ADDRESS ok|fail" per name.
// Usage: fqdn-client.js RESOLVER PORT NAME...
import dgram from "node:dgram";
import net from "node:net";
import * as packet from "dns-packet";

const [resolver, port, ...names] = process.argv.slice(2);

function resolveAndConnect(name: string, id: number): Promise<string> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket("udp4");
    const done = (line: string) => {
      sock.close();
      resolve(line);
    };
    sock.on("message", (msg) => {
      const a = packet.decode(msg).answers?.find((x) => x.type === "A");
      if (!a) return done(`${name} no-answer`);
      const addr = String((a as { data?: unknown }).data);
      const c = net.connect({ host: addr, port: Number(port) });
      c.setTimeout(1000, () => (c.destroy(), done(`${addr} fail`)));
      c.on("data", () => (c.destroy(), done(`${addr} ok`)));
      c.on("error", () => done(`${addr} fail`));
    });
    sock.send(packet.encode({ type: "query", id, flags: packet.RECURSION_DESIRED, questions: [{ type: "A", name }] }), 53, resolver);
  });
}

void (async () => {
  for (const [i, n] of names.entries()) console.log(await resolveAndConnect(n!, i + 1));
})();
