// pontond's CPU per HTTP request, this build against another (main's), in one run: two throwaway
// hosts side by side (the same world as run.ts: wrk from one workload to a Node server behind
// HTTP rules, keep-alive), one pontond from each build; rounds alternate A B B A so the shared
// machine's load falls on both alike. Also the L3/L4 policy on this build (no proxy, no lines):
// pontond's own cost per request of the run's length with nothing to read.
// Run: npx tsc -p tsconfig.json && node dist/bench/l7/records-ab.js --other /work/main/bin [--rounds 4]
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost } from "../../test/integration/harness";
import { summarize } from "../lib/stats";
import { benchWorld, type WrkResult } from "./world";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const OTHER = arg("other", "/work/main/bin");
const ROUNDS = Number(arg("rounds", "4"));
const SECONDS = Number(arg("seconds", "4"));

async function main(): Promise<void> {
  const hosts = { this: new TestHost("hoa"), other: new TestHost("hob") };
  hosts.other.daemonBin = OTHER;
  try {
    const worlds = { this: await benchWorld(await hosts.this.setUp()), other: await benchWorld(await hosts.other.setUp()) };
    await worlds.this.apply(true);
    await worlds.other.apply(true);
    const samples: Record<string, WrkResult[]> = { this: [], other: [], "this L3/L4": [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const b of round % 2 === 0 ? (["this", "other"] as const) : (["other", "this"] as const)) {
        await worlds[b].wrk(false, 1); // warm-up
        const r = await worlds[b].measured(false, SECONDS);
        samples[b]!.push(r);
        console.log(JSON.stringify({ round, build: b, rps: Math.round(r.rps), cpuUsPerRequest: r.cpuUs, load: readFileSync("/proc/loadavg", "utf8").split(" ")[0] }));
      }
    }
    await worlds.this.apply(false);
    for (let round = 0; round < 2; round++) {
      await worlds.this.wrk(false, 1);
      const r = await worlds.this.measured(false, SECONDS);
      samples["this L3/L4"]!.push(r);
      console.log(JSON.stringify({ round, build: "this L3/L4", rps: Math.round(r.rps), cpuUsPerRequest: r.cpuUs }));
    }
    const med = (k: string) => {
      const s = samples[k]!;
      return { rps: Math.round(summarize(s.map((x) => x.rps)).p50), pontondUs: summarize(s.map((x) => x.cpuUs.pontond)).p50, haproxyUs: summarize(s.map((x) => x.cpuUs.haproxy)).p50, pontondUsEach: s.map((x) => x.cpuUs.pontond) };
    };
    const out = { date: new Date().toISOString(), other: OTHER, seconds: SECONDS, rounds: ROUNDS, load: readFileSync("/proc/loadavg", "utf8").trim(), this: med("this"), other_: med("other"), thisL4: med("this L3/L4") };
    console.log(JSON.stringify(out, null, 2));
    writeFileSync(path.join(__dirname, "..", "..", "..", "bench", "l7", "records-ab-last-run.json"), JSON.stringify(out, null, 2) + "\n");
  } finally {
    await hosts.this.tearDown();
    await hosts.other.tearDown();
  }
}

void main();
