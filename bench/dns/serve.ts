// Bench entry point: our DnsServer on one address with N names `<prefix><i>` (A records), every
// client in one view; `--udp node` serves UDP with Node's dgram instead of the native fast path.
// Prints `ready <port>` when listening; SIGTERM/SIGINT close it.
import { DnsServer } from "../../src/dns";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const address = arg("address", "127.0.0.1");
  const port = Number(arg("port", "0"));
  const names = Number(arg("names", "100"));
  const prefix = arg("prefix", "anc-dns-");
  const udp = arg("udp", "native");
  if (udp !== "native" && udp !== "node") throw new Error(`--udp ${udp}: native or node`);
  const server = new DnsServer({ viewOf: () => "bench", upstreams: [], udp });
  server.setView(
    "bench",
    Array.from({ length: names }, (_, k) => ({ name: `${prefix}${k + 1}`, type: "A" as const, ttl: 60, data: `10.88.${(k + 1) >> 8}.${(k + 1) & 255}` })),
  );
  const bound = await server.addListener({ address, port });
  const stop = () => void server.close().finally(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  process.stdout.write(`ready ${bound.port}\n`);
}

main().catch((err) => {
  process.stderr.write(`serve: ${(err as Error).message}\n`);
  process.exit(1);
});
