// Cluster at scale: N node namespaces (default 20) on the underlay bridge, one etcd member, each node
// running W workloads (default 50) on one cluster network, `pontond --flow-log off`.
// (1) Idle: CPU per pontond from /proc/PID/stat (utime+stime) over --idle seconds, RSS, and etcd's
//     traffic at rest (its /metrics on the client URL: gRPC bytes in/out, unary requests, watch messages).
// (2) Each round: one pod with app=probe is run on node 0; service `probe` (selector app=probe)
//     exists on every node; the time is taken when its address enters each other node's `svc_eps`
//     (`nft monitor` per node, events, not polling) — the time until EVERY node programmed it is the
//     slowest node's. etcd's counters are read before the run and after the last node saw it (and
//     once more after the rm), the idle rate over the same window subtracted.
// `--cpu-prof DIR`: node 1's pontond (a receiving node) writes a V8 CPU profile to DIR when it stops.
// Run: npm run build && sudo node dist/bench/cluster/scale.js [--nodes 20] [--workloads 50] [--rounds 10] [--idle 60] [--cpu-prof DIR]
import { readFileSync } from "node:fs";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { TestHost, eventually, sh } from "../../test/integration/harness";
import { Underlay, UNDERLAY_PREFIX } from "../../test/integration/underlay";
import { summarize } from "../lib/stats";
import { startNode } from "./start-node";
import { nftMonitor } from "./nft-monitor";

const arg = (name: string, def: number) => Number(process.argv[process.argv.indexOf(`--${name}`) + 1] || def) || def;
const N = arg("nodes", 20);
const W = arg("workloads", 50);
const rounds = arg("rounds", 10);
const idleS = arg("idle", 60);
const profDir = process.argv.includes("--cpu-prof") ? process.argv[process.argv.indexOf("--cpu-prof") + 1] : undefined;
const TICK = 100; // USER_HZ: /proc/PID/stat counts clock ticks of 10 ms

/** Waits for `add` lines of svc_eps naming an address in one node's `nft monitor`; resolves with performance.now(). */

const cpuTicks = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return Number(rest[11]) + Number(rest[12]); // utime, stime (fields 14, 15)
};
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

interface EtcdCounters {
  rxBytes: number;
  txBytes: number;
  unary: number;
  watchMsgs: number;
  byMethod: Map<string, number>;
}

async function etcdCounters(ul: Underlay): Promise<EtcdCounters> {
  const m = ul.members[0]!;
  const r = await sh("nsenter", [`--net=/run/netns/${m.netns}`, "curl", "-s", `http://${m.ip}:2379/metrics`]);
  const c: EtcdCounters = { rxBytes: 0, txBytes: 0, unary: 0, watchMsgs: 0, byMethod: new Map() };
  for (const line of r.stdout.split("\n")) {
    const v = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (line.startsWith("etcd_network_client_grpc_received_bytes_total")) c.rxBytes += v;
    else if (line.startsWith("etcd_network_client_grpc_sent_bytes_total")) c.txBytes += v;
    else if (line.startsWith("grpc_server_handled_total{") && line.includes('grpc_type="unary"')) {
      const method = /grpc_method="([^"]+)"/.exec(line)![1]!;
      c.unary += v;
      c.byMethod.set(method, (c.byMethod.get(method) ?? 0) + v);
    } else if (line.startsWith("grpc_server_msg_sent_total{") && line.includes('grpc_method="Watch"')) c.watchMsgs += v;
  }
  return c;
}
const minus = (a: EtcdCounters, b: EtcdCounters) => ({ rxBytes: a.rxBytes - b.rxBytes, txBytes: a.txBytes - b.txBytes, unary: a.unary - b.unary, watchMsgs: a.watchMsgs - b.watchMsgs, byMethod: new Map([...a.byMethod].map(([k, v]) => [k, v - (b.byMethod.get(k) ?? 0)] as const).filter(([, v]) => v > 0)) });

const fmt = (xs: number[], unit = "ms", d = 1) => {
  const s = summarize(xs);
  return `p50 ${s.p50.toFixed(d)} ${unit}  p99 ${s.p99.toFixed(d)}  min ${s.min.toFixed(d)}  max ${s.max.toFixed(d)}  (n=${s.n})`;
};
const load = () => os.loadavg().map((x) => x.toFixed(1)).join(" ");

async function main(): Promise<void> {
  const ul = new Underlay("hsc");
  const nodes = Array.from({ length: N }, (_, i) => new TestHost(`hs${i}`));
  const addr = (i: number) => `${UNDERLAY_PREFIX}.${11 + i}`;
  const monitors: ReturnType<typeof nftMonitor>[] = [];
  const t00 = performance.now();
  try {
    await ul.setUp();
    await ul.startEtcd(1);
    for (const [i, h] of nodes.entries()) {
      h.daemonArgs = ["--cluster", ul.endpoints.join(","), "--node-name", `n${i}`, "--node-ip", addr(i), "--flow-log", "off"];
      if (i === 1 && profDir) h.daemonNodeArgs = ["--cpu-prof", "--cpu-prof-dir", profDir];
      await startNode(h, ul, addr(i));
    }
    console.error(`${N} nodes up in ${((performance.now() - t00) / 1000).toFixed(0)} s (load ${load()})`);
    await nodes[0]!.pontonOk("network", "create", "pods", "--scope", "cluster", "--subnet", "10.42.0.0/16", "--node-mask", "24");
    for (const h of nodes) await eventually(async () => (await h.ponton("network", "inspect", "pods")).code === 0, 60_000, 250);
    await nodes[0]!.pontonOk("service", "create", "probe", "--port", "80/tcp", "--selector", "app=probe", "--vip", "10.96.0.90");
    for (const h of nodes) await eventually(async () => (await h.ponton("service", "inspect", "probe")).code === 0, 60_000, 250);
    // W workloads per node, the nodes in parallel, one at a time on each.
    const t1 = performance.now();
    await Promise.all(nodes.map(async (h, i) => {
      for (let k = 0; k < W; k++) await h.client.request("POST", "/v1/workloads", { name: `w${k}`, networks: ["pods"], labels: { app: `a${k % 5}` }, command: ["sleep", "36000"] });
      if (i === 0) console.error(`node 0 has its ${W} workloads (${((performance.now() - t1) / 1000).toFixed(0)} s)`);
    }));
    console.error(`${N * W} workloads in ${((performance.now() - t1) / 1000).toFixed(0)} s (load ${load()})`);
    // Let every node take in every other node's workloads before anything is measured.
    await new Promise((r) => setTimeout(r, 10_000));

    // (1) Idle.
    const pids = nodes.map((h) => h.daemonPid!);
    const c0 = await etcdCounters(ul);
    const cpu0 = pids.map(cpuTicks);
    const ti0 = performance.now();
    await new Promise((r) => setTimeout(r, idleS * 1000));
    const cpu1 = pids.map(cpuTicks);
    const idleWindowS = (performance.now() - ti0) / 1000;
    const idle = minus(await etcdCounters(ul), c0);
    const cpuPct = cpu1.map((c, i) => (((c - cpu0[i]!) / TICK) / idleWindowS) * 100);
    const rss = pids.map(rssMiB);

    // (2) One new remote workload, rounds.
    for (const h of nodes.slice(1)) monitors.push(nftMonitor(h.hostNs));
    await new Promise((r) => setTimeout(r, 1000));
    const every: number[] = [];
    const median: number[] = [];
    const runMs: number[] = [];
    const perChange: ReturnType<typeof minus>[] = [];
    for (let r = 0; r < rounds; r++) {
      const cBefore = await etcdCounters(ul);
      const tb = performance.now();
      const t0 = performance.now();
      const w = (await nodes[0]!.client.request("POST", "/v1/workloads", { name: `probe${r}`, networks: ["pods"], labels: { app: "probe" }, command: ["sleep", "3600"] })) as { networks: { ip4: string }[] };
      const t1r = performance.now();
      const ip = w.networks[0]!.ip4;
      const seen = await Promise.all(monitors.map((m) => Promise.race([m.when((l) => l.includes("svc_eps") && l.startsWith("add") && l.includes(` ${ip} `)), new Promise<number>((res) => setTimeout(() => res(NaN), 60_000))])));
      const gone = monitors.map((m) => m.when((l) => l.includes("svc_eps") && l.startsWith("delete") && l.includes(` ${ip} `)));
      await nodes[0]!.client.request("DELETE", `/v1/workloads/probe${r}?force=1`);
      await Promise.race([Promise.all(gone), new Promise((res) => setTimeout(res, 60_000))]);
      await new Promise((res) => setTimeout(res, 500));
      const windowS = (performance.now() - tb) / 1000;
      const d = minus(await etcdCounters(ul), cBefore);
      const k = windowS / idleWindowS;
      perChange.push({ rxBytes: d.rxBytes - idle.rxBytes * k, txBytes: d.txBytes - idle.txBytes * k, unary: d.unary - idle.unary * k, watchMsgs: d.watchMsgs - idle.watchMsgs * k, byMethod: d.byMethod });
      const after = seen.map((t) => t - t1r).sort((a, b) => a - b);
      every.push(after[after.length - 1]!);
      median.push(after[Math.floor(after.length / 2)]!);
      runMs.push(t1r - t0);
      await new Promise((res) => setTimeout(res, 500));
    }
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const per = (f: (c: ReturnType<typeof minus>) => number) => sum(perChange.map(f)) / perChange.length / 2; // a round is two changes (run + rm)
    console.log(`cluster scale: ${N} nodes × ${W} workloads (${N * W}), 1 etcd member, lease TTL default, --flow-log off; load average ${load()}`);
    console.log(`idle over ${idleWindowS.toFixed(0)} s: pontond CPU ${fmt(cpuPct, "%", 2)}; RSS ${fmt(rss, "MiB", 1)}`);
    console.log(`idle etcd traffic (all ${N} nodes): ${(idle.rxBytes / idleWindowS).toFixed(0)} B/s in, ${(idle.txBytes / idleWindowS).toFixed(0)} B/s out, ${(idle.unary / idleWindowS).toFixed(1)} requests/s, ${(idle.watchMsgs / idleWindowS).toFixed(1)} watch messages/s; by method: ${[...idle.byMethod].map(([m, v]) => `${m} ${(v / idleWindowS).toFixed(2)}/s`).join(", ")}`);
    console.log(`run on node 0 → EVERY other node balances to it (from run's answer): ${fmt(every)}`);
    console.log(`run on node 0 → the median node balances to it (from run's answer):  ${fmt(median)}`);
    console.log(`the run itself on node 0: ${fmt(runMs)}`);
    console.log(`etcd traffic per change (run or rm, idle subtracted): ${per((c) => c.rxBytes).toFixed(0)} B in, ${per((c) => c.txBytes).toFixed(0)} B out, ${per((c) => c.unary).toFixed(1)} requests, ${per((c) => c.watchMsgs).toFixed(1)} watch messages`);
    const methods = new Map<string, number>();
    for (const c of perChange) for (const [m, v] of c.byMethod) methods.set(m, (methods.get(m) ?? 0) + v);
    console.log(`requests in the rounds' windows by method (idle included, per change): ${[...methods].map(([m, v]) => `${m} ${(v / perChange.length / 2).toFixed(1)}`).join(", ")}`);
  } finally {
    for (const m of monitors) m.close();
    // The profile is written when pontond exits on its own (tearDown kills with SIGKILL).
    if (profDir) await nodes[1]?.stopDaemon("SIGTERM");
    for (const h of nodes) await h.tearDown().catch((e: Error) => console.error(e.message));
    await ul.tearDown();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
