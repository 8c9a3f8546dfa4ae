// pontond's memory under flow logging at a sustained high new-connection rate: `--flow-log on`,
// wrk driving `Connection: close` connections for SECONDS, pontond's RSS sampled every second.
// Run: npx tsc -p tsconfig.json && node dist/bench/flows/memory.js [SECONDS] [--journal] [--buffer N]
import os from "node:os";
import { summarize } from "../lib/stats";
import { cpuSeconds, daemonPids, flowBenchHost, lostOf, rssMiB, wrk, type FlowStatus } from "./fixture";

const SECONDS = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 60);
const journal = process.argv.includes("--journal");
const bufferAt = process.argv.indexOf("--buffer");

async function main(): Promise<void> {
  const { h, addr } = await flowBenchHost();
  try {
    await h.stopDaemon();
    h.daemonArgs = ["--flow-log", "on", ...(journal ? ["--flow-journal", "on"] : []), ...(bufferAt > 0 ? ["--flow-buffer", process.argv[bufferAt + 1]!] : [])];
    await h.startDaemon();
    const { pontond, nflog } = daemonPids(h);
    const idle = rssMiB(pontond);
    const before = await h.client.request<FlowStatus>("GET", "/v1/flows/status");
    const cpu0 = cpuSeconds(pontond) + cpuSeconds(nflog);
    const samples: number[] = [];
    const loads: number[] = [];
    const timer = setInterval(() => {
      samples.push(rssMiB(pontond));
      loads.push(os.loadavg()[0]);
    }, 1000);
    const rate = await wrk(h, addr, SECONDS, 2, 50);
    clearInterval(timer);
    const after = await h.client.request<FlowStatus>("GET", "/v1/flows/status");
    const recorded = after.recorded - before.recorded;
    const s = summarize(samples);
    const round1 = (x: number) => Math.round(x * 10) / 10;
    console.log(
      JSON.stringify(
        {
          date: new Date().toISOString(),
          seconds: SECONDS,
          journal,
          loadAverage1m: { min: Math.min(...loads), max: Math.max(...loads) },
          connPerSec: Math.round(rate),
          recordsPerSec: Math.round(recorded / SECONDS),
          recordsLost: lostOf(after) - lostOf(before),
          cpuMicrosecondsPerRecord: round1(((cpuSeconds(pontond) + cpuSeconds(nflog) - cpu0) / recorded) * 1e6),
          rssMiB: { idle: round1(idle), min: round1(s.min), p50: round1(s.p50), max: round1(s.max), last: round1(samples.at(-1) ?? 0) },
          rssEverySecond: samples.map(round1),
        },
        null,
        2,
      ),
    );
  } finally {
    await h.tearDown();
  }
}

void main();
