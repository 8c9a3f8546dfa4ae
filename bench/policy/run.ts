// NetworkPolicy at scale (issue 5, "Measures"), in one run, in a throwaway host namespace:
//  - TCP throughput, 64-byte UDP packet rate and new connections/s between two workloads with
//    0 policies and with 1,000 policies over 1,000 workloads, alternated (ABBA…), medians, and the
//    daemon's own CPU meanwhile;
//  - time to apply one policy change (CLI and API) and until a label change flips a probe.
// Run: npx tsc -p tsconfig.json && sudo node dist/bench/policy/run.js [--rounds N] [--quick]
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost } from "../../test/integration/harness";
import { allowShards } from "../../src/policy/plan/names";
import { nowMs, sleep } from "../lib/proc";
import { percentile, timeEach } from "../lib/stats";
import { iperfTcp, iperfUdp64, median, reuseTimeWait, round2, serverScript, wrk, type Runner } from "../lib/traffic";
import * as world from "./world";

const arg = (name: string, dflt: number) => Number(process.argv[process.argv.indexOf(name) + 1] ?? dflt) || dflt;
const quick = process.argv.includes("--quick");
const ROUNDS = arg("--rounds", quick ? 1 : 4);
const SECONDS = quick ? 2 : 4;
const CHANGES = quick ? 10 : 30;
const FLIPS = quick ? 6 : 20;
const PARALLEL = 6;
const BATCH = 100;

interface Figures {
  policies: number;
  gbits: number;
  kpps: number;
  connPerSec: number;
  daemonCpuPct: number;
}

const log = (x: unknown) => console.log(typeof x === "string" ? x : JSON.stringify(x));

/** Runs `fn` over `items` with at most `n` in flight, in order of start. */
async function pool<T>(items: readonly T[], n: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

async function buildCluster(h: TestHost): Promise<string> {
  await h.pontonOk("network", "create", world.NETWORK.name, "--subnet", world.NETWORK.subnet);
  for (let n = 0; n < world.NAMESPACES; n++) await h.client.request("POST", "/v1/namespaces", world.namespaceSpec(n));
  const specs = Array.from({ length: world.NAMESPACES * world.PER_NAMESPACE }, (_, i) => world.workloadSpec(Math.floor(i / world.PER_NAMESPACE), i % world.PER_NAMESPACE));
  const t = nowMs();
  await pool(specs, PARALLEL, (s) =>
    h.client.request("POST", "/v1/workloads", s.name === world.SERVER ? { ...s, command: ["sh", "-c", serverScript(process.execPath)] } : s),
  );
  log(`${specs.length} workloads created in ${((nowMs() - t) / 1000).toFixed(1)} s (API, ${PARALLEL} in flight)`);
  const server = await h.client.request<{ networks: { ip4: string }[] }>("GET", `/v1/workloads/${world.SERVER}`);
  return server.networks[0]!.ip4;
}

/** Puts all 1,000 policies in (`up`) or takes them out (`down`), one project of BATCH per call; seconds. */
async function policies(h: TestHost, verb: "up" | "down"): Promise<number> {
  const t = nowMs();
  for (const b of world.policyBatches(BATCH)) await h.client.request("POST", `/v1/${verb}`, b);
  return (nowMs() - t) / 1000;
}

/** CPU time of a process and its reaped children (the daemon's `nft` runs), in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // f[11..14]: utime stime cutime cstime
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
}

async function measure(h: TestHost, addr: string, count: number): Promise<Figures> {
  const cli: Runner = (cmd, args, t) => h.inWorkload(world.CLIENT, cmd, args, t);
  await h.inHost("conntrack", ["-F"]); // the same starting state for every case (our own host namespace)
  await sleep(500);
  await wrk(cli, `http://${addr}/`, 1); // warm-up: neighbours, caches
  const [cpu0, t0] = [cpuSeconds(h.daemonPid!), nowMs()];
  const gbits = await iperfTcp(cli, addr, SECONDS);
  const kpps = await iperfUdp64(cli, addr, SECONDS);
  const conn = await wrk(cli, `http://${addr}/`, SECONDS);
  const daemonCpuPct = Math.round(((cpuSeconds(h.daemonPid!) - cpu0) / ((nowMs() - t0) / 1000)) * 1000) / 10;
  const f = { policies: count, gbits: round2(gbits), kpps: Math.round(kpps), connPerSec: Math.round(conn.rps), daemonCpuPct };
  log(f);
  return f;
}

/** Element counts of the policy maps, straight from the kernel. */
async function elementCounts(h: TestHost): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  // The allow maps are split in shards (src/policy/plan/names.ts): counted together.
  const maps = [...["pol_in_allow_v4", "pol_eg_allow_v4"].flatMap((m) => allowShards(m).map((s) => [m, s])), ...["pol_in_deny_v4", "pol_eg_deny_v4"].map((m) => [m, m])];
  for (const [m, name] of maps) {
    const r = await h.inHost("nft", ["-j", "list", "map", "inet", "ponton", name!], 60_000);
    const j = JSON.parse(r.stdout || "{}") as { nftables?: { map?: { elem?: unknown[] } }[] };
    out[m!] = (out[m!] ?? 0) + (j.nftables?.find((x) => x.map)?.map?.elem?.length ?? 0);
  }
  return out;
}

function ms(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: Math.round(percentile(s, 50)), p95: Math.round(percentile(s, 95)) };
}

/** One more policy (t05, app=svc7), changed back and forth: each apply is a real change. */
async function policyChanges(h: TestHost, label: string) {
  const yaml = (port: number) =>
    `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bench-change, namespace: t05}\nspec:\n  podSelector: {matchLabels: {app: svc7}}\n  ingress: [{from: [{podSelector: {matchLabels: {tier: web}}}], ports: [{port: ${port}}]}]\n`;
  const files = [8081, 8082].map((p) => {
    const f = path.join(h.dir, `change-${p}.yaml`);
    writeFileSync(f, yaml(p));
    return f;
  });
  const cli = await timeEach(CHANGES, (i) => h.pontonOk("policy", "apply", "-f", files[i % 2]!));
  const api = await timeEach(CHANGES, (i) => h.client.request("POST", "/v1/policies", { yaml: yaml(8083 + (i % 2)) }));
  await h.client.request("DELETE", "/v1/policies/t05/bench-change");
  const f = { label, cliMs: ms(cli), apiMs: ms(api) };
  log(f);
  return f;
}

// Opens a new TCP connection every 5 ms (100 ms timeout) and prints "1|0 START_NS" for each: 1 when the
// SYN got through (connected, or refused by the peer), 0 when it was dropped.
const PROBER = `const net = require("net"); const [host, port] = process.argv.slice(-2);
setInterval(() => {
  const t = process.hrtime.bigint(); let done = false; const s = net.connect({ host, port: Number(port) });
  const end = (ok) => { if (done) return; done = true; s.destroy(); process.stdout.write((ok ? 1 : 0) + " " + t + "\\n"); };
  s.once("connect", () => end(true)); s.once("error", (e) => end(e.code === "ECONNREFUSED")); setTimeout(() => end(false), 100);
}, 5);`;

/** From `ponton label` until every probe started later agrees with the new label (ms), and the CLI's own time. */
async function labelFlips(h: TestHost, addr: string) {
  const samples: { ok: boolean; t: number }[] = [];
  const child = spawn("ip", ["netns", "exec", h.ns(world.PROBER), process.execPath, "-e", PROBER, addr, "80"], { stdio: ["ignore", "pipe", "ignore"] });
  let buf = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    const lines = (buf + d).split("\n");
    buf = lines.pop()!;
    for (const l of lines) samples.push({ ok: l[0] === "1", t: Number(l.slice(2)) / 1e6 });
  });
  /** Start time of the first probe from which on every probe says `want` (once 300 ms of later probes are in). */
  const settled = async (want: boolean, since: number): Promise<number> => {
    for (const deadline = nowMs() + 15_000; nowMs() < deadline; await sleep(20)) {
      const seen = samples.filter((s) => s.t >= since).sort((a, b) => a.t - b.t);
      const lastWrong = seen.map((s) => s.ok).lastIndexOf(!want);
      const first = seen[lastWrong + 1];
      if (first && seen[seen.length - 1]!.t - first.t >= 300) return first.t;
    }
    return NaN;
  };
  const effect: number[] = [];
  const cli: number[] = [];
  try {
    await settled(false, nowMs());
    for (let i = 0; i < FLIPS; i++) {
      const grant = i % 2 === 0;
      const t0 = nowMs();
      await h.pontonOk("label", world.PROBER, grant ? world.ACCESS_LABEL : `${world.ACCESS_LABEL.split("=")[0]}-`);
      cli.push(nowMs() - t0);
      effect.push((await settled(grant, t0)) - t0);
    }
  } finally {
    child.kill("SIGKILL");
  }
  const f = { flips: FLIPS, cliMs: ms(cli), untilProbeFlipsMs: ms(effect), failed: effect.filter(Number.isNaN).length };
  log(f);
  return f;
}

async function main(): Promise<void> {
  const h = await new TestHost("bpol").setUp();
  const out: Record<string, unknown> = { date: new Date().toISOString(), rounds: ROUNDS, seconds: SECONDS };
  try {
    const addr = await buildCluster(h);
    await reuseTimeWait((cmd, args, t) => h.inWorkload(world.CLIENT, cmd, args, t));
    for (let i = 0; i < 100 && (await h.inWorkload(world.CLIENT, "curl", ["-s", "-m", "1", `http://${addr}/`])).stdout.trim() !== "ok"; i++) await sleep(100);
    const data: Figures[] = [];
    out.controlAt1 = await policyChanges(h, "~1 policy");
    const loads: Record<"up" | "down", number[]> = { up: [], down: [] };
    let loaded = 0;
    // A B B A A B …: each state change serves two measurements, and linear drift hits both alike.
    for (const count of Array.from({ length: 2 * ROUNDS }, (_, i) => (((i + 1) >> 1) % 2 ? 1000 : 0))) {
      if (count !== loaded) {
        const verb = count ? "up" : "down";
        loads[verb].push(round2(await policies(h, verb)));
        loaded = count;
        out.elements ??= await elementCounts(h);
      }
      data.push(await measure(h, addr, count));
    }
    if (!loaded) await policies(h, "up");
    out.data = data;
    out.loadSeconds = loads;
    log({ elements: out.elements, loadSeconds: loads });
    out.controlAt1000 = await policyChanges(h, "1,000 policies");
    out.labelFlips = await labelFlips(h, addr);

    const med = (count: number, k: keyof Figures) => median(data.filter((d) => d.policies === count).map((d) => d[k]));
    log(`\nmedians of ${ROUNDS} alternated rounds (0 | 1,000 policies | ratio):`);
    for (const [k, unit] of [["gbits", "Gbit/s TCP"], ["kpps", "kpps UDP 64 B"], ["connPerSec", "new conn/s"], ["daemonCpuPct", "daemon CPU %"]] as const) {
      log(`  ${unit.padEnd(14)} ${String(med(0, k)).padStart(8)} | ${String(med(1000, k)).padStart(8)} | ${(med(1000, k) / med(0, k)).toFixed(2)}`);
    }
    writeFileSync(path.join(__dirname, "..", "..", "..", "bench", "policy", "last-run.json"), JSON.stringify(out, null, 2) + "\n");
    await policies(h, "down"); // so tearDown's per-workload deletes do not each recompile 1,000 policies
  } finally {
    await h.tearDown();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
