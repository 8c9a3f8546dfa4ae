// One run: starts Ponton's DNS server, aardvark-dns and dnsmasq on loopback (pinned to cpu0),
// measures each with dnsperf (pinned to cpu1): max QPS, then latency at 1,000 qps; prints a
// table with our ratios and the targets. Each measurement is split into --rounds runs taken in
// turn (A B C A B C), so a burst of noise from other work on the machine hits every server alike.
// CPU time per query at 1,000 qps is read from /proc for each server over its latency rounds.
// --with-node-udp adds our server on Node's dgram (the path before the native fast path) as a
// fourth subject, for a before/after in the same interleaving.
// Usage: node dist/bench/dns/run.js [--seconds 10] [--rounds 5] [--port-base 15300] [--with-node-udp]
import * as fs from "node:fs";
import * as os from "node:os";
import path from "node:path";
import { type CpuTime, cpuSince, cpuTime } from "./cpu";
import { type Latency, latencyAt, maxQps, summarize, type Throughput } from "./dnsperf";
import { type Proc, stopAll } from "./procs";
import { nameOf, startAardvark, startDnsmasq, startPonton } from "./subjects";

const NAMES = 100;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Row {
  server: string;
  port: number;
  pid?: number;
  rounds: Throughput[];
  max?: Throughput;
  lat?: Latency;
  /** Over all latency rounds. */
  cpu: CpuTime;
}

async function main(): Promise<void> {
  const seconds = arg("seconds", 10);
  const rounds = arg("rounds", 5);
  const slice = Math.max(1, Math.round(seconds / rounds));
  const base = arg("port-base", 15300);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ponton-dns-bench-"));
  fs.chmodSync(dir, 0o755); // dnsmasq reads its hosts file after dropping to nobody
  const queries = path.join(dir, "queries.txt");
  fs.writeFileSync(queries, Array.from({ length: NAMES }, (_, k) => `${nameOf(k + 1)} A\n`).join(""));
  const row = (server: string, port: number): Row => ({ server, port, rounds: [], cpu: { userUs: 0, sysUs: 0 } });
  const rows: Row[] = [row("ponton", base), row("aardvark-dns", base + 1), row("dnsmasq", base + 2)];
  if (process.argv.includes("--with-node-udp")) rows.push(row("ponton-dgram", base + 3));
  const starters: Record<string, (d: string, p: number, n: number) => Promise<Proc>> = {
    ponton: startPonton,
    "aardvark-dns": startAardvark,
    dnsmasq: startDnsmasq,
    "ponton-dgram": (d, p, n) => startPonton(d, p, n, "node"),
  };
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    void stopAll().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    for (const r of rows) {
      const p = await starters[r.server](dir, r.port, NAMES);
      r.pid = p.pid;
      process.stderr.write(`started ${r.server} pid ${p.pid} on 127.0.0.1:${r.port}\n`);
    }
    for (let i = 0; i < rounds; i++) {
      for (const r of rows) {
        process.stderr.write(`max QPS ${r.server} round ${i + 1}/${rounds} (${slice} s)…\n`);
        r.rounds.push(await maxQps(r.port, queries, slice));
      }
    }
    const samples = new Map<string, number[]>(rows.map((r) => [r.server, []]));
    const bad = new Map<string, number>(rows.map((r) => [r.server, 0]));
    for (let i = 0; i < rounds; i++) {
      for (const r of rows) {
        process.stderr.write(`latency at 1,000 qps ${r.server} round ${i + 1}/${rounds} (${slice} s)…\n`);
        const before = cpuTime(r.pid!);
        const l = await latencyAt(r.port, queries, slice, 1000);
        const used = cpuSince(r.pid!, before);
        r.cpu = { userUs: r.cpu.userUs + used.userUs, sysUs: r.cpu.sysUs + used.sysUs };
        samples.get(r.server)!.push(...l.samplesMs);
        bad.set(r.server, bad.get(r.server)! + l.nonNoerror);
      }
    }
    for (const r of rows) {
      r.max = mean(r.rounds);
      r.lat = summarize(samples.get(r.server)!, bad.get(r.server)!);
    }
  } finally {
    if (!interrupted) await stopAll();
  }
  report(rows, slice * rounds, rounds);
  const json = rows.map(({ server, max, rounds: per, lat, cpu }) => ({ server, max, roundsQps: per.map((t) => Math.round(t.qps)), lat, cpuPerQueryUs: perQuery(cpu, lat!) }));
  fs.writeFileSync(path.join(__dirname, "..", "..", "..", "bench", "dns", "last-run.json"), JSON.stringify({ date: new Date().toISOString(), seconds: slice * rounds, rounds, rows: json }, null, 2) + "\n");
  fs.rmSync(dir, { recursive: true, force: true });
}

function mean(ts: Throughput[]): Throughput {
  const avg = (f: (t: Throughput) => number) => ts.reduce((a, t) => a + f(t), 0) / ts.length;
  return { qps: avg((t) => t.qps), completedPct: avg((t) => t.completedPct), avgLatencyMs: avg((t) => t.avgLatencyMs) };
}

/** CPU µs per answered query at 1,000 qps (tick resolution 10 ms over the whole latency run). */
function perQuery(cpu: CpuTime, lat: Latency): { user: number; sys: number } {
  return { user: Math.round(cpu.userUs / lat.n), sys: Math.round(cpu.sysUs / lat.n) };
}

function report(rows: Row[], seconds: number, rounds: number): void {
  const f = (n: number, d = 2) => n.toFixed(d);
  const k = (n: number) => Math.round(n).toLocaleString("en");
  console.log(`\nDNS, loopback, ${NAMES} names; each figure: ${seconds} s in ${rounds} interleaved runs; server on cpu0, dnsperf on cpu1\n`);
  console.log("| server | max QPS (per round) | completed | p50 / p90 / p99 / max ms at 1,000 qps | non-NOERROR | CPU µs/query user + sys |");
  console.log("|---|---|---|---|---|---|");
  for (const r of rows) {
    const l = r.lat!;
    const c = perQuery(r.cpu, l);
    console.log(
      `| ${r.server} | ${k(r.max!.qps)} (${r.rounds.map((t) => k(t.qps)).join(", ")}) | ${f(r.max!.completedPct)}% | ${f(l.p50, 3)} / ${f(l.p90, 3)} / ${f(l.p99, 3)} / ${f(l.max, 3)} | ${l.nonNoerror} | ${c.user} + ${c.sys} |`,
    );
  }
  const [ours, aard, dnsm, dgram] = rows;
  const qA = ours.max!.qps / aard.max!.qps;
  const qD = ours.max!.qps / dnsm.max!.qps;
  const p99 = ours.lat!.p99 / dnsm.lat!.p99;
  console.log(`\nours/aardvark max QPS: ${f(qA)}x (target >= 2.00x: ${qA >= 2 ? "met" : "NOT met"})`);
  console.log(`ours/dnsmasq  max QPS: ${f(qD)}x`);
  console.log(`ours/aardvark p99: ${f(ours.lat!.p99 / aard.lat!.p99)}x`);
  console.log(`ours/dnsmasq  p99: ${f(p99)}x (target <= 1.00x: ${p99 <= 1 ? "met" : "NOT met"})`);
  if (dgram) console.log(`dgram path/dnsmasq p99: ${f(dgram.lat!.p99 / dnsm.lat!.p99)}x, max QPS: ${f(dgram.max!.qps / dnsm.max!.qps)}x`);
  console.log("anchors (RESULTS.md §3): aardvark 32,296 qps, p99 0.31 ms; dnsmasq 187,250 qps, p99 0.27 ms");
}

main().catch(async (err) => {
  process.stderr.write(`dns bench: ${(err as Error).stack ?? err}\n`);
  await stopAll();
  process.exit(1);
});
