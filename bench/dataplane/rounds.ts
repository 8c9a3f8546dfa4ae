// Interleaved rounds for the data-plane benches: each round measures every subject (64-byte UDP
// packets/s, then one TCP stream) in a rotated order, and divides each figure by that round's
// reference subject (the first), so the shared machine's load hits all subjects alike.
import { readFileSync } from "node:fs";
import { TestHost } from "../../test/integration/harness";
import { installSignalHandlers, runCleanup } from "../lib/cleanup";
import { sleep } from "../lib/proc";
import { iperfTcp, iperfUdp64Cost, median, round2 } from "../lib/traffic";
import type { Subject } from "./plain-bridge";

export const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

export function numberArg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

/** Waits until every subject's client pings its server (5 s at most each). */
export async function waitReachable(subjects: readonly Subject[]): Promise<void> {
  for (const s of subjects) {
    for (let i = 0; i < 50 && (await s.client("ping", ["-c", "1", "-W", "1", s.server])).code !== 0; i++) await sleep(100);
  }
}

/**
 * Runs the rounds and prints one line a round and a table of medians of paired ratios to subjects[0];
 * `tcp: false` measures packets only.
 */
export async function interleavedRounds(subjects: readonly Subject[], rounds: number, seconds: number, opts: { tcp?: boolean } = {}): Promise<void> {
  const tcp = opts.tcp ?? true;
  const startLoad = loadavg();
  const ref = subjects[0]!.name;
  const rows = new Map(subjects.map((s) => [s.name, { kpps: [] as number[], gbits: [] as number[], us: [] as number[], rk: [] as number[], rg: [] as number[], ru: [] as number[] }]));
  for (let r = 0; r < rounds; r++) {
    const order = subjects.map((_, i) => subjects[(i + r) % subjects.length]!);
    const got = new Map<string, { kpps: number; usPerPacket: number; gbits: number }>();
    for (const s of order) {
      await s.prepare?.();
      const udp = await iperfUdp64Cost(s.client, s.server, seconds);
      got.set(s.name, { ...udp, gbits: tcp ? await iperfTcp(s.client, s.server, seconds) : NaN });
    }
    for (const s of subjects) {
      const g = got.get(s.name)!;
      const row = rows.get(s.name)!;
      row.kpps.push(round2(g.kpps));
      row.gbits.push(round2(g.gbits));
      row.us.push(round2(g.usPerPacket));
      row.rk.push(g.kpps / got.get(ref)!.kpps);
      row.rg.push(g.gbits / got.get(ref)!.gbits);
      row.ru.push(g.usPerPacket / got.get(ref)!.usPerPacket);
    }
    console.log(`round ${r + 1}: ${order.map((s) => `${s.name} ${round2(got.get(s.name)!.kpps)} kpps ${round2(got.get(s.name)!.usPerPacket)} µs/packet ${round2(got.get(s.name)!.gbits)} Gbit/s`).join("; ")}`);
  }
  console.log(`\n${rounds} interleaved rounds of ${seconds} s, load average ${startLoad} at start, ${loadavg()} at end`);
  console.log(`subject | UDP 64 B kpps (rounds) | × ${ref} (median of paired ratios) | sender CPU µs per packet (median) | cost × ${ref}${tcp ? ` | TCP Gbit/s (rounds) | × ${ref}` : ""}`);
  for (const s of subjects) {
    const row = rows.get(s.name)!;
    const tcpCols = tcp ? ` | ${row.gbits.join(", ")} | ${median(row.rg).toFixed(2)}` : "";
    console.log(`${s.name} | ${row.kpps.join(", ")} | ${median(row.rk).toFixed(2)} | ${median(row.us).toFixed(2)} | ${median(row.ru).toFixed(2)}${tcpCols}`);
  }
}

/** A data-plane bench's main: a throwaway host for Ponton, everything removed at the end or on a signal. */
export function benchWithHost(prefix: string, body: (h: TestHost) => Promise<void>): void {
  installSignalHandlers();
  const run = async () => {
    const h = await new TestHost(prefix).setUp();
    try {
      await body(h);
    } finally {
      await runCleanup();
      await h.tearDown();
    }
  };
  run().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
