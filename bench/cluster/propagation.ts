// Cluster propagation, three nodes (A, B, C) on a 3-member etcd in underlay namespaces:
// (1) `ponton run` of a pod (label app=web) on node A until node C's service `web` balances to it:
//     the moment its address enters C's svc_eps map, seen by `nft monitor` in C's namespace (no
//     polling). Reported from the request (run included) and from the run's answer (propagation
//     alone: A's etcd transaction, C's watch, C's nft transaction). Then rm, until it leaves.
// (2) A node dies (kill -9 of A's pontond): until its pod leaves C's svc_eps (lease TTL bound).
// Run: npm run build && sudo node dist/bench/cluster/propagation.js [--rounds 20] [--ttl 2] [--prefix bp]
import os from "node:os";
import { performance } from "node:perf_hooks";
import { TestHost, eventually } from "../../test/integration/harness";
import { Underlay, UNDERLAY_PREFIX } from "../../test/integration/underlay";
import { summarize } from "../lib/stats";
import { restartNode, startNode } from "./start-node";
import { nftMonitor } from "./nft-monitor";

const arg = (name: string, def: number) => Number(process.argv[process.argv.indexOf(`--${name}`) + 1] || def) || def;
const rounds = arg("rounds", 20);
const ttl = arg("ttl", 2);
const failures = arg("failures", 3);
/** Namespace prefix (benches run beside each other's on a shared machine). */
const prefix = process.argv.includes("--prefix") ? process.argv[process.argv.indexOf("--prefix") + 1]! : "bp";


const fmt = (xs: number[]) => {
  const s = summarize(xs);
  return `p50 ${s.p50.toFixed(1)} ms  p99 ${s.p99.toFixed(1)} ms  min ${s.min.toFixed(1)}  max ${s.max.toFixed(1)}  (n=${s.n})`;
};

async function main(): Promise<void> {
  const ul = new Underlay(prefix);
  const nodes = ["A", "B", "C"].map((n) => new TestHost(`${prefix}${n}`));
  const addr = (i: number) => `${UNDERLAY_PREFIX}.${11 + i}`;
  try {
    await ul.setUp();
    await ul.startEtcd(3);
    await Promise.all(
      nodes.map((h, i) => {
        h.daemonArgs = ["--cluster", ul.endpoints.join(","), "--node-name", `n${i}`, "--node-ip", addr(i), "--node-lease-ttl", String(ttl), "--flow-log", "off"];
        return startNode(h, ul, addr(i));
      }),
    );
    const [a, , c] = nodes as [TestHost, TestHost, TestHost];
    await a.pontonOk("network", "create", "pods", "--scope", "cluster", "--subnet", "10.42.0.0/16");
    for (const h of nodes) await eventually(async () => (await h.ponton("network", "inspect", "pods")).code === 0, 20_000);
    await c.pontonOk("service", "create", "web", "--port", "80/tcp", "--selector", "app=web", "--vip", "10.96.0.80");
    const mon = nftMonitor(c.hostNs);
    const fromRequest: number[] = [];
    const fromAnswer: number[] = [];
    const runMs: number[] = [];
    const removal: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      const w = (await a.client.request("POST", "/v1/workloads", { name: `p${i}`, networks: ["pods"], labels: { app: "web" }, command: ["sleep", "3600"] })) as { networks: { ip4: string }[] };
      const t1 = performance.now();
      const ip = w.networks[0]!.ip4;
      const seen = await Promise.race([mon.when((l) => l.includes("svc_eps") && l.startsWith("add") && l.includes(` ${ip} `)), new Promise<number>((r) => setTimeout(() => r(NaN), 30_000))]);
      fromRequest.push(seen - t0);
      fromAnswer.push(seen - t1);
      runMs.push(t1 - t0);
      const t2 = performance.now();
      const gone = mon.when((l) => l.includes("svc_eps") && l.startsWith("delete") && l.includes(` ${ip} `));
      await a.client.request("DELETE", `/v1/workloads/p${i}?force=1`);
      removal.push((await Promise.race([gone, new Promise<number>((r) => setTimeout(() => r(NaN), 30_000))])) - t2);
    }
    console.log(`cluster propagation, 3 nodes, 3-member etcd, lease TTL ${ttl} s, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
    console.log(`run on A → C balances to it (from the request):  ${fmt(fromRequest)}`);
    console.log(`run on A → C balances to it (from run's answer): ${fmt(fromAnswer)}`);
    console.log(`the run itself on A:                             ${fmt(runMs)}`);
    console.log(`rm on A → C stops balancing to it:               ${fmt(removal)}`);
    const deaths: number[] = [];
    for (let i = 0; i < failures; i++) {
      const w = (await a.client.request("POST", "/v1/workloads", { name: `d${i}`, networks: ["pods"], labels: { app: "web" }, command: ["sleep", "3600"] })) as { networks: { ip4: string }[] };
      const ip = w.networks[0]!.ip4;
      await mon.when((l) => l.includes("svc_eps") && l.startsWith("add") && l.includes(` ${ip} `));
      const gone = mon.when((l) => l.includes("svc_eps") && l.startsWith("delete") && l.includes(` ${ip} `));
      const t0 = performance.now();
      await a.stopDaemon("SIGKILL");
      deaths.push((await Promise.race([gone, new Promise<number>((r) => setTimeout(() => r(NaN), 60_000))])) - t0);
      await restartNode(a);
      await a.client.request("DELETE", `/v1/workloads/d${i}?force=1`);
    }
    mon.close();
    console.log(`kill -9 of A's pontond → its pod leaves C:       ${fmt(deaths)}`);
  } finally {
    for (const h of nodes) await h.tearDown();
    await ul.tearDown();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
