// Cost of flow logging on the new-connection rate, in one run, in a throwaway host namespace:
// wrk with `Connection: close` from one workload to another, pontond with `--flow-log on` and
// `--flow-log off` (and `--flow-log on --flow-journal on` with --journal) alternated round by
// round because the machine is shared; per round the on/off ratio (paired), then their median.
// Beside the rate: pontond's and ponton-nflog's CPU per record (from /proc), records lost.
// Run: npx tsc -p tsconfig.json && node dist/bench/flows/run.js [--quick] [--journal] [--rounds N]
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestHost } from "../../test/integration/harness";
import { summarize } from "../lib/stats";
import { cpuSeconds, daemonPids, flowBenchHost, lostOf, wrk, type FlowStatus } from "./fixture";

const quick = process.argv.includes("--quick");
const withJournal = process.argv.includes("--journal");
const roundsArg = process.argv.indexOf("--rounds");
const SECONDS = quick ? 2 : 4;
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : quick ? 2 : 6;
const profileArg = process.argv.indexOf("--cpu-prof");
/** pontond's CPU profiles (node --cpu-prof) go here, one per daemon run. */
const PROFILE_DIR = profileArg > 0 ? process.argv[profileArg + 1] : undefined;

type Mode = "off" | "on" | "journal";

async function restart(h: TestHost, mode: Mode): Promise<void> {
  await h.stopDaemon();
  h.daemonNodeArgs = PROFILE_DIR ? ["--cpu-prof", "--cpu-prof-dir", PROFILE_DIR] : [];
  h.daemonArgs = mode === "journal" ? ["--flow-log", "on", "--flow-journal", "on"] : ["--flow-log", mode];
  await h.startDaemon();
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

async function main(): Promise<void> {
  const { h, addr } = await flowBenchHost();
  try {
    const modes: Mode[] = withJournal ? ["off", "on", "journal"] : ["off", "on"];
    const rates: Record<Mode, number[]> = { on: [], off: [], journal: [] };
    const ratios: number[] = [];
    // CPU per connection in each mode: on minus off is what logging costs the daemon and helper.
    const usPerConn: Record<Mode, { pontond: number[]; nflog: number[] }> = { on: { pontond: [], nflog: [] }, off: { pontond: [], nflog: [] }, journal: { pontond: [], nflog: [] } };
    const loads: number[] = [];
    let lost = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which mode goes first, so a drift in load does not favour one.
      for (const mode of round % 2 ? [...modes].reverse() : modes) {
        await restart(h, mode);
        await h.inHost("conntrack", ["-F"]);
        await wrk(h, addr, 1); // warm-up
        const pids = daemonPids(h);
        const before = await h.client.request<FlowStatus>("GET", "/v1/flows/status");
        const cpu0 = { pontond: cpuSeconds(pids.pontond), nflog: cpuSeconds(pids.nflog) };
        const rps = await wrk(h, addr, SECONDS);
        const cpu1 = { pontond: cpuSeconds(pids.pontond), nflog: cpuSeconds(pids.nflog) };
        const after = await h.client.request<FlowStatus>("GET", "/v1/flows/status");
        const recorded = after.recorded - before.recorded;
        rates[mode].push(rps);
        lost += lostOf(after) - lostOf(before);
        loads.push(os.loadavg()[0]);
        const line: Record<string, unknown> = { round, flowLog: mode, connPerSec: Math.round(rps), recordsPerSec: Math.round(recorded / SECONDS), load1: os.loadavg()[0] };
        const connections = rps * SECONDS;
        usPerConn[mode].pontond.push(((cpu1.pontond - cpu0.pontond) / connections) * 1e6);
        usPerConn[mode].nflog.push(((cpu1.nflog - cpu0.nflog) / connections) * 1e6);
        Object.assign(line, { pontondCpuS: round3(cpu1.pontond - cpu0.pontond), nflogCpuS: round3(cpu1.nflog - cpu0.nflog) });
        console.log(JSON.stringify(line));
      }
      ratios.push(rates.on[round]! / rates.off[round]!);
    }
    const p50 = (xs: number[]) => summarize(xs).p50;
    const result = {
      date: new Date().toISOString(),
      seconds: SECONDS,
      rounds: ROUNDS,
      loadAverage1m: { min: Math.min(...loads), max: Math.max(...loads) },
      connPerSecFlowLogOff: Math.round(p50(rates.off)),
      connPerSecFlowLogOn: Math.round(p50(rates.on)),
      pairedRatiosOnOverOff: ratios.map(round3),
      medianPairedRatio: round3(p50(ratios)),
      ...(withJournal ? { connPerSecFlowJournalOn: Math.round(p50(rates.journal)), ratioJournalOverOn: round3(p50(rates.journal) / p50(rates.on)) } : {}),
      cpuMicrosecondsPerConnection: Object.fromEntries(modes.map((m) => [m, { pontond: round3(p50(usPerConn[m].pontond)), nflog: round3(p50(usPerConn[m].nflog)) }])),
      recordsLost: lost,
    };
    console.log(JSON.stringify(result, null, 2));
    if (!quick) writeFileSync(path.join(__dirname, "..", "..", "..", "bench", "flows", "last-run.json"), JSON.stringify(result, null, 2) + "\n");
  } finally {
    await h.tearDown();
  }
}

void main();
