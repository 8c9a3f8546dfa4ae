// The outside resolver of the FQDN tests, run in the tests' "outside" namespace (never a public
// one): answers A queries from a table given as JSON, {"name": ["address", ttl]}, NXDOMAIN else.
// Usage: fqdn-upstream.js ADDRESS PORT TABLE_JSON
import dgram from "node:dgram";
import * as packet from "dns-packet";

const [address, port, tableText] = [process.argv[2] ?? "0.0.0.0", Number(process.argv[3] ?? 53), process.argv[4] ?? "{}"];
const table = JSON.parse(tableText) as Record<string, [string, number]>;

function answer(query: Buffer): Buffer {
  const q = packet.decode(query);
  const question = q.questions?.[0];
  const hit = question && question.type === "A" ? table[question.name.toLowerCase()] : undefined;
  return packet.encode({
    id: q.id,
    type: "response",
    flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (hit || question?.type === "AAAA" ? 0 : 3),
    questions: q.questions,
    answers: hit ? [{ type: "A", name: question!.name, ttl: hit[1], data: hit[0] }] : [],
  });
}

const udp = dgram.createSocket("udp4");
udp.on("message", (msg, rinfo) => {
  try {
    udp.send(answer(msg), rinfo.port, rinfo.address);
  } catch {
    // not a DNS message: ignore
  }
});
udp.bind(port, address);
