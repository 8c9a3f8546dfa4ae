// Requests/s and p99 through a port guarded by CiliumNetworkPolicy HTTP rules (the L7 proxy, HAProxy) vs
// the same port under the same policy without the rules (L3/L4 only, the kernel path), in one run,
// in a throwaway host namespace: wrk from one workload to another, keep-alive (10 connections)
// and a new connection per request (`Connection: close`), the two policies alternated (A B A B …)
// because the machine is shared; medians and their ratios.
// Anchor: a published benchmark has Cilium's L7 policy costing 86–89% of throughput.
// Run: npx tsc -p tsconfig.json && node dist/bench/l7/run.js [--quick]
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost } from "../../test/integration/harness";
import { summarize } from "../lib/stats";
import { benchWorld, type WrkResult } from "./world";

const quick = process.argv.includes("--quick");
const SECONDS = quick ? 2 : 4;
const ROUNDS = quick ? 2 : 3;

type Mode = "l4" | "l7";
type Load = "keepAlive" | "newConn";

async function main(): Promise<void> {
  const h = await new TestHost("bl7").setUp();
  try {
    const w = await benchWorld(h);
    const samples: Record<`${Mode}.${Load}`, WrkResult[]> = { "l4.keepAlive": [], "l4.newConn": [], "l7.keepAlive": [], "l7.newConn": [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ["l4", "l7"] as const) {
        await w.apply(mode === "l7");
        await w.wrk(false, SECONDS); // warm-up
        for (const load of ["keepAlive", "newConn"] as const) {
          const r = await w.measured(load === "newConn", SECONDS);
          samples[`${mode}.${load}`].push(r);
          console.log(JSON.stringify({ round, mode, load, rps: Math.round(r.rps), p99ms: r.p99ms, cpuUsPerRequest: r.cpuUs }));
        }
      }
    }
    const med = (k: keyof typeof samples) => ({ rps: Math.round(summarize(samples[k].map((s) => s.rps)).p50), p99ms: summarize(samples[k].map((s) => s.p99ms)).p50 });
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    const out: Record<string, unknown> = { date: new Date().toISOString(), seconds: SECONDS, rounds: ROUNDS, connections: 10, load: readFileSync("/proc/loadavg", "utf8").trim() };
    for (const load of ["keepAlive", "newConn"] as const) {
      const l4 = med(`l4.${load}`), l7 = med(`l7.${load}`);
      out[load] = { l4, l7, throughputRatioL7overL4: r3(l7.rps / l4.rps), throughputCost: r3(1 - l7.rps / l4.rps), p99RatioL7overL4: r3(l7.p99ms / l4.p99ms) };
    }
    out.anchor = "Cilium L7 policy: 86-89% throughput cost (published benchmark)";
    console.log(JSON.stringify(out, null, 2));
    writeFileSync(path.join(__dirname, "..", "..", "..", "bench", "l7", "last-run.json"), JSON.stringify(out, null, 2) + "\n");
  } finally {
    await h.tearDown();
  }
}

void main();
