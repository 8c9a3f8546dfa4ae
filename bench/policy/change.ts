// Issue 18, "Faster policy changes": the latency of one policy change (`POST /v1/policies`, which
// returns once the kernel committed it and the post-change syncs ran) and of one workload label
// change (`POST /v1/workloads/NAME/labels`: PROBER's access=server flips, which adds and removes
// its address in SERVER's ingress elements) with 1,000 policies over 1,000 workloads.
// Two daemons are compared on one state, restarted between blocks, alternated A B B A …:
//  - default: `pontond --policy-delta on` (cached compile, elements over netlink) vs `off` (a full
//    recompile, interval elements through `nft`);
//  - `--compare DIR`: this build vs the build in DIR (e.g. main in /tmp: `git archive main | tar -x
//    -C DIR`, node_modules linked, `npm run build`), both with their defaults.
// Optionally `--cpu-prof DIR` profiles pontond.
// Run: npx tsc -p tsconfig.json && sudo node dist/bench/policy/change.js [--rounds N] [--changes N] [--compare DIR] [--cpu-prof DIR]
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { TestHost } from "../../test/integration/harness";
import { cpuMs, nowMs } from "../lib/proc";
import { percentile, timeEach } from "../lib/stats";
import * as world from "./world";

const arg = (name: string, dflt: number) => Number(process.argv[process.argv.indexOf(name) + 1] ?? dflt) || dflt;
const ROUNDS = arg("--rounds", 2);
const CHANGES = arg("--changes", 20);
const profDir = process.argv.includes("--cpu-prof") ? process.argv[process.argv.indexOf("--cpu-prof") + 1] : undefined;
const compareDir = process.argv.includes("--compare") ? process.argv[process.argv.indexOf("--compare") + 1] : undefined;
const PARALLEL = 6;
const OWN_BIN = path.join(__dirname, "..", "..", "..", "bin");

/** A: this build (delta on); B: the other build, or this one with delta off. */
type Side = "A" | "B";
const sideName: Record<Side, string> = compareDir ? { A: "this build", B: `the build in ${compareDir}` } : { A: "--policy-delta on", B: "--policy-delta off" };

const log = (x: unknown) => console.log(typeof x === "string" ? x : JSON.stringify(x));
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(" ");

async function pool<T>(items: readonly T[], n: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** One more policy in t05 (app=svc7), its port alternating: every apply is a real change. */
const changeYaml = (port: number) =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bench-change, namespace: t05}\nspec:\n  podSelector: {matchLabels: {app: svc7}}\n  ingress: [{from: [{podSelector: {matchLabels: {tier: web}}}], ports: [{port: ${port}}]}]\n`;

async function restart(h: TestHost, side: Side): Promise<void> {
  await h.stopDaemon();
  h.daemonBin = side === "B" && compareDir ? path.join(compareDir, "bin") : OWN_BIN;
  h.daemonArgs = compareDir ? [] : ["--policy-delta", side === "A" ? "on" : "off"];
  // The harness waits 10 s for the socket; a restart over 1,000 workloads (reconcile) may take longer.
  await h.startDaemon().catch(async () => {
    for (let i = 0; i < 600; i++) {
      if (await h.client.request("GET", "/v1/info").then(() => true, () => false)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error("pontond did not come back in 120 s");
  });
  // The first change after a start compiles from nothing: not part of any sample.
  await h.client.request("POST", "/v1/policies", { yaml: changeYaml(8000) });
  await h.client.request("POST", `/v1/workloads/${world.PROBER}/labels`, { remove: ["access"] });
}

/** PROBER's access label on (even i) and off: each is a real change of SERVER's ingress elements. */
const labelEdit = (i: number) => (i % 2 === 0 ? { set: { access: "server" } } : { remove: ["access"] });

async function main(): Promise<void> {
  const h = new TestHost("hpchg");
  if (profDir) h.daemonNodeArgs = ["--cpu-prof", "--cpu-prof-dir", profDir];
  await h.setUp();
  const out: Record<string, unknown> = { date: new Date().toISOString(), rounds: ROUNDS, changes: CHANGES, loadStart: load() };
  try {
    await h.pontonOk("network", "create", world.NETWORK.name, "--subnet", world.NETWORK.subnet);
    for (let n = 0; n < world.NAMESPACES; n++) await h.client.request("POST", "/v1/namespaces", world.namespaceSpec(n));
    const specs = Array.from({ length: world.NAMESPACES * world.PER_NAMESPACE }, (_, i) => world.workloadSpec(Math.floor(i / world.PER_NAMESPACE), i % world.PER_NAMESPACE));
    let t = nowMs();
    await pool(specs, PARALLEL, (s) => h.client.request("POST", "/v1/workloads", s));
    log(`${specs.length} workloads in ${((nowMs() - t) / 1000).toFixed(1)} s`);
    t = nowMs();
    for (const b of world.policyBatches(100)) await h.client.request("POST", "/v1/up", b);
    log(`1,000 policies in ${((nowMs() - t) / 1000).toFixed(1)} s`);

    const samples: Record<Side, { policy: number[]; label: number[] }> = { A: { policy: [], label: [] }, B: { policy: [], label: [] } };
    const cpuPer: Record<Side, { policy: number[]; label: number[] }> = { A: { policy: [], label: [] }, B: { policy: [], label: [] } };
    const order = Array.from({ length: 2 * ROUNDS }, (_, i) => ((((i + 1) >> 1) % 2 ? "B" : "A") as Side));
    let current: Side | undefined;
    for (const side of order) {
      if (side !== current) await restart(h, side);
      current = side;
      // pontond's own CPU per change: what the load on a shared machine does not inflate as it does wall time.
      const cpu = () => cpuMs(h.daemonPid!);
      let c0 = cpu();
      const p = await timeEach(CHANGES, (i) => h.client.request("POST", "/v1/policies", { yaml: changeYaml(8081 + (i % 2)) }));
      const policyCpu = (cpu() - c0) / CHANGES;
      c0 = cpu();
      const l = await timeEach(CHANGES, (i) => h.client.request("POST", `/v1/workloads/${world.PROBER}/labels`, labelEdit(i)));
      const labelCpu = (cpu() - c0) / CHANGES;
      samples[side].policy.push(...p);
      samples[side].label.push(...l);
      cpuPer[side].policy.push(policyCpu);
      cpuPer[side].label.push(labelCpu);
      const p50 = (xs: number[]) => Math.round(percentile([...xs].sort((a, b) => a - b), 50));
      log({ side: sideName[side], load: load(), policyP50: p50(p), labelP50: p50(l), policyCpuMs: Math.round(policyCpu), labelCpuMs: Math.round(labelCpu) });
    }
    const summary = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return { n: s.length, p50: Math.round(percentile(s, 50) * 10) / 10, p95: Math.round(percentile(s, 95) * 10) / 10 };
    };
    const mean = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
    for (const side of ["A", "B"] as const) {
      out[side] = { what: sideName[side], policy: summary(samples[side].policy), label: summary(samples[side].label), cpuMsPerChange: { policy: mean(cpuPer[side].policy), label: mean(cpuPer[side].label) } };
    }
    out.loadEnd = load();
    log({ A: out.A, B: out.B, loadStart: out.loadStart, loadEnd: out.loadEnd });
    writeFileSync(path.join(__dirname, "..", "..", "..", "bench", "policy", "last-change.json"), JSON.stringify(out, null, 2) + "\n");
    await h.client.request("DELETE", "/v1/policies/t05/bench-change");
    await h.client.request("POST", `/v1/workloads/${world.PROBER}/labels`, { remove: ["access"] });
    for (const b of world.policyBatches(100)) await h.client.request("POST", "/v1/down", b);
  } finally {
    await h.tearDown();
    if (profDir) log(execFileSync("ls", ["-la", profDir]).toString());
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
