// Runs dnsperf (pinned to cpu1) and reads its figures: max QPS from the summary, latency
// percentiles from the per-query lines that -v prints ("> NOERROR name A 0.000123").
import { spawn } from "node:child_process";

export interface Throughput {
  qps: number;
  completedPct: number;
  avgLatencyMs: number;
}

export interface Latency {
  n: number;
  nonNoerror: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("taskset", ["-c", "1", "dnsperf", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => out.push(d));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(Buffer.concat(out).toString()) : reject(new Error(`dnsperf ${args.join(" ")}: exit ${code}`))));
  });
}

function num(text: string, re: RegExp, what: string): number {
  const m = re.exec(text);
  if (!m) throw new Error(`dnsperf output has no ${what}`);
  return Number(m[1]);
}

export async function maxQps(port: number, queries: string, seconds: number): Promise<Throughput> {
  const out = await run(["-s", "127.0.0.1", "-p", String(port), "-d", queries, "-l", String(seconds)]);
  return {
    qps: num(out, /Queries per second:\s+([\d.]+)/, "QPS"),
    completedPct: num(out, /Queries completed:\s+\d+ \(([\d.]+)%\)/, "completion"),
    avgLatencyMs: num(out, /Average Latency \(s\):\s+([\d.]+)/, "latency") * 1000,
  };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}

export function summarize(samplesMs: number[], nonNoerror: number): Latency {
  const ms = [...samplesMs].sort((a, b) => a - b);
  return { n: ms.length, nonNoerror, p50: percentile(ms, 0.5), p90: percentile(ms, 0.9), p99: percentile(ms, 0.99), max: ms[ms.length - 1] };
}

/** One latency run: every per-query latency (ms) and how many answers were not NOERROR. */
export async function latencyAt(port: number, queries: string, seconds: number, rate: number): Promise<{ samplesMs: number[]; nonNoerror: number }> {
  const out = await run(["-s", "127.0.0.1", "-p", String(port), "-d", queries, "-l", String(seconds), "-Q", String(rate), "-v"]);
  const ms: number[] = [];
  let nonNoerror = 0;
  for (const line of out.split("\n")) {
    if (!line.startsWith("> ")) continue;
    const m = /^> (\S+) .* ([\d.]+)$/.exec(line);
    if (!m || m[1] !== "NOERROR") nonNoerror++; // a lost query prints no latency
    if (m) ms.push(Number(m[2]) * 1000);
  }
  if (ms.length === 0) throw new Error("dnsperf -v printed no per-query lines");
  return { samplesMs: ms, nonNoerror };
}
