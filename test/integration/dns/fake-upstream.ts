// A stand-in for the host's upstream resolver, run in the tests' "outside" namespace:
// answers NAME.example.test (and the single label upstream-only) A 192.0.2.99 (or the address given
// third) over UDP and TCP, NXDOMAIN for anything else. Usage: fake-upstream.js ADDRESS PORT [ANSWER]
import dgram from "node:dgram";
import net from "node:net";
import * as packet from "dns-packet";

function answer(query: Buffer): Buffer {
  const q = packet.decode(query);
  const question = q.questions?.[0];
  const known = question !== undefined && (question.name.endsWith("example.test") || question.name === "upstream-only") && question.type === "A";
  return packet.encode({
    id: q.id,
    type: "response",
    flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (known ? 0 : 3),
    questions: q.questions,
    answers: known ? [{ type: "A", name: question!.name, ttl: 60, data: ANSWER }] : [],
  });
}

const [address, port] = [process.argv[2] ?? "0.0.0.0", Number(process.argv[3] ?? 53)];
const ANSWER = process.argv[4] ?? "192.0.2.99";
const udp = dgram.createSocket("udp4");
udp.on("message", (msg, rinfo) => {
  try {
    udp.send(answer(msg), rinfo.port, rinfo.address);
  } catch {
    // not a DNS message: ignore
  }
});
udp.bind(port, address);
net
  .createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const reply = answer(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        const out = Buffer.alloc(2 + reply.length);
        out.writeUInt16BE(reply.length, 0);
        reply.copy(out, 2);
        sock.write(out);
      }
    });
    sock.on("error", () => undefined);
  })
  .listen(port, address);
