// Where the cost of HTTP rules goes: the same port and workloads as run.ts, HAProxy as pontond wrote
// its configuration and variants of that file loaded by hand (SIGUSR2 to the master, as pontond
// reloads): with main's `http-reuse safe`, without `usesrc clientip`, with the log ring unread (HAProxy formats every line, pontond
// gets none), without the log, with one thread. Each variant's throughput and the CPU each process
// spent per request (pontond, HAProxy's worker, the Node server, wrk: /proc/PID/stat and the shell's
// `times`), variants interleaved round by round (the machine is shared): medians, ratios to L3/L4.
// Run: npx tsc -p tsconfig.json && node dist/bench/l7/breakdown.js [--quick]
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, sleep } from "../../test/integration/harness";
import { summarize } from "../lib/stats";
import { benchWorld, haproxyWorkers, type Subject } from "./world";

const quick = process.argv.includes("--quick");
const SECONDS = quick ? 2 : 4;
const ROUNDS = quick ? 1 : 3;
const loads = process.argv.includes("--keepalive-only") ? (["keepAlive"] as const) : (["keepAlive", "newConn"] as const);

/** A variant: a transformation of pontond's configuration (undefined: the L3/L4 policy, no proxy). */
const NO_USESRC = (c: string) => c.replace(/^\s*source 0\.0\.0\.0 usesrc clientip\n/gm, "");
const NO_LOG = (c: string) => c.replace(/^\s*log ring@.*\n/m, "");
const ONE_THREAD = (c: string) => c.replace(/^global\n/m, "global\n  nbthread 1\n");
const VARIANTS: Record<string, ((cfg: string) => string) | undefined> = {
  "L3/L4 only": undefined,
  "HTTP rules (as shipped)": (c) => c,
  "http-reuse safe (main before this change)": (c) => c.replace(/^\s*http-reuse never\n/gm, ""),
  "no usesrc clientip": NO_USESRC,
  "log ring unread (pontond gets no line)": (c) => c.replace(/^\s*server pontond .*\n/m, ""),
  "no log": NO_LOG,
  "nbthread 1": ONE_THREAD,
  "no log, no usesrc, nbthread 1": (c) => ONE_THREAD(NO_USESRC(NO_LOG(c))),
};

/** Loads `text` into the running HAProxy and waits for its new worker (the old one may linger on its log ring connection). */
async function reload(master: number, cfgPath: string, text: string): Promise<void> {
  const before = new Set(haproxyWorkers(master));
  writeFileSync(cfgPath, text);
  process.kill(master, "SIGUSR2");
  for (let i = 0; i < 200; i++) {
    await sleep(50);
    if (haproxyWorkers(master).some((w) => !before.has(w))) {
      await sleep(300);
      return;
    }
  }
  throw new Error("HAProxy did not take the variant's configuration");
}

async function main(): Promise<void> {
  const h = await new TestHost("hkl7").setUp();
  try {
    const w = await benchWorld(h);
    const cfgPath = path.join(h.stateDir, "l7", "haproxy.cfg");
    type Sample = { rps: number; p99ms: number; cpuUs: Record<Subject, number> };
    const samples: Record<string, Sample[]> = {};
    let shipped: string | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, transform] of Object.entries(VARIANTS)) {
        await w.apply(transform !== undefined);
        if (transform) {
          // pontond's own text, read once: later variants overwrite the file.
          shipped ??= readFileSync(cfgPath, "utf8");
          await reload(Number(readFileSync(path.join(h.stateDir, "l7", "haproxy.pid"), "utf8")), cfgPath, transform(shipped));
        }
        await w.wrk(false, 1); // warm-up
        for (const load of loads) {
          const r = await w.measured(load === "newConn", SECONDS);
          (samples[`${name}|${load}`] ??= []).push(r);
          console.log(JSON.stringify({ round, name, load, rps: Math.round(r.rps), p99ms: r.p99ms, cpuUsPerRequest: r.cpuUs }));
        }
      }
    }
    const out: Record<string, unknown> = { date: new Date().toISOString(), seconds: SECONDS, rounds: ROUNDS, connections: 10, load: readFileSync("/proc/loadavg", "utf8").trim() };
    for (const load of loads) {
      const base = summarize(samples[`L3/L4 only|${load}`]!.map((s) => s.rps)).p50;
      out[load] = Object.fromEntries(
        Object.keys(VARIANTS).map((name) => {
          const s = samples[`${name}|${load}`]!;
          const rps = summarize(s.map((x) => x.rps)).p50;
          const cpu = Object.fromEntries((Object.keys(s[0]!.cpuUs) as Subject[]).map((k) => [k, Math.round(summarize(s.map((x) => x.cpuUs[k])).p50 * 10) / 10]));
          return [name, { rps: Math.round(rps), cost: Math.round((1 - rps / base) * 1000) / 1000, p99ms: summarize(s.map((x) => x.p99ms)).p50, cpuUsPerRequest: cpu }];
        }),
      );
    }
    console.log(JSON.stringify(out, null, 2));
    writeFileSync(path.join(__dirname, "..", "..", "..", "bench", "l7", "breakdown-last-run.json"), JSON.stringify(out, null, 2) + "\n");
  } finally {
    await h.tearDown();
  }
}

void main();
