// Sends malformed DNS datagrams at a steady rate to one port until killed: a third each of
// (1) a 12-byte header claiming 65,535 records in every section, (2) a query header with one
// question whose name is cut short, (3) random bytes with QR clear. Prints `sent N` on SIGTERM.
// Usage: node dist/bench/dns/garbage-sender.js PORT PPS
import { randomBytes } from "node:crypto";
import * as dgram from "node:dgram";

const [port, pps] = [Number(process.argv[2]), Number(process.argv[3] ?? 3000)];
const bomb = Buffer.from([0, 1, 0x01, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const cut = Buffer.from([0, 2, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x3f, 0x61, 0x61]);

function junk(i: number): Buffer {
  if (i % 3 === 0) return bomb;
  if (i % 3 === 1) return cut;
  const b = randomBytes(12 + (i % 500));
  b[2] &= 0x7f;
  return b;
}

const sock = dgram.createSocket("udp4");
sock.on("error", () => undefined);
let sent = 0;
const tickMs = 10;
const start = Date.now();
// Paced by the clock, not by timer accuracy: each tick sends what the schedule owes.
const timer = setInterval(() => {
  const owed = Math.floor(((Date.now() - start) * pps) / 1000) - sent;
  for (let i = 0; i < owed; i++) sock.send(junk(sent++), port, "127.0.0.1");
}, tickMs);
process.once("SIGTERM", () => {
  clearInterval(timer);
  process.stdout.write(`sent ${sent} in ${((Date.now() - start) / 1000).toFixed(1)} s\n`);
  sock.close();
  process.exit(0);
});
