// HTTP rules across two cluster nodes (VXLAN, etcd in an underlay namespace): wrk in a pod on n1
// to a Node "ok" server pod on n2 guarded by a CiliumNetworkPolicy with `rules.http` (proxied by
// n2's HAProxy) vs the same policy without the rules (L3/L4 only, the kernel path); and, in the
// same run, the same server from a pod on n2 itself (the single-node path) for comparison.
// Keep-alive (10 connections) and a new connection per request, the policies alternated
// (A B A B …) because the machine is shared; medians and their ratios.
// Anchor: a published benchmark has Cilium's L7 policy costing 86–89% of throughput.
// Run: npx tsc -p tsconfig.json && node dist/bench/l7/cross-node.js [--quick]
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost } from "../../test/integration/harness";
import { Underlay } from "../../test/integration/underlay";
import { podsNetwork, startNodes } from "../../test/integration/cluster/cluster-world";
import { summarize } from "../lib/stats";
import { policy, SERVER } from "./world";

const quick = process.argv.includes("--quick");
const SECONDS = quick ? 2 : 4;
const ROUNDS = quick ? 2 : 3;

type Key = `${"l4" | "l7"}.${"cross" | "local"}.${"keepAlive" | "newConn"}`;

async function main(): Promise<void> {
  const ul = new Underlay("hxb");
  const nodes = ["n1", "n2"].map((n) => new TestHost(`hxb${n}`));
  const [n1, n2] = nodes as [TestHost, TestHost];
  try {
    await ul.setUp();
    await ul.startEtcd(1);
    await startNodes(ul, nodes, { serial: true });
    await podsNetwork(nodes);
    const web = JSON.parse(await n2.pontonOk("run", "--name", "web", "--network", "pods", "--label", "app=web", "-o", "json", "--", process.execPath, "-e", SERVER)) as { networks: { ip4: string }[] };
    const addr = web.networks[0]!.ip4;
    const clients = { cross: [n1, "cli1"], local: [n2, "cli2"] } as const;
    for (const [h, name] of Object.values(clients)) {
      await h.pontonOk("run", "--name", name, "--network", "pods", "--label", "app=client");
      await h.inWorkload(name, "sysctl", ["-qw", "net.ipv4.tcp_tw_reuse=1", "net.ipv4.ip_local_port_range=1024 65535"]);
    }
    const files = { l4: path.join(n1.dir, "l4.yaml"), l7: path.join(n1.dir, "l7.yaml") };
    writeFileSync(files.l4, policy(false));
    writeFileSync(files.l7, policy(true));
    const wrk = async (where: "cross" | "local", close: boolean, seconds: number) => {
      const [h, name] = clients[where];
      const r = await h.inWorkload(name, "wrk", ["-t1", "-c10", `-d${seconds}s`, "--latency", ...(close ? ["-H", "Connection: close"] : []), `http://${addr}/`], 60_000);
      const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout);
      if (non2xx || !/Requests\/sec/.test(r.stdout)) throw new Error(`wrk from ${name}: ${r.stdout}${r.stderr}`);
      return Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)![1]);
    };
    const samples = {} as Record<Key, number[]>;
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ["l4", "l7"] as const) {
        await n1.pontonOk("policy", "apply", "-f", files[mode]);
        for (const h of nodes) await h.inHost("conntrack", ["-F"]);
        // Both nodes have the policy (mirrored through etcd) once the cross-node client gets answers.
        await new Promise((r) => setTimeout(r, 2000));
        for (const where of ["cross", "local"] as const) {
          await wrk(where, false, 1); // warm-up
          for (const load of ["keepAlive", "newConn"] as const) {
            const rps = await wrk(where, load === "newConn", SECONDS);
            (samples[`${mode}.${where}.${load}`] ??= []).push(rps);
            console.log(JSON.stringify({ round, mode, where, load, rps: Math.round(rps) }));
          }
        }
      }
    }
    const med = (k: Key) => Math.round(summarize(samples[k]).p50);
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    const out: Record<string, unknown> = { date: new Date().toISOString(), seconds: SECONDS, rounds: ROUNDS, connections: 10, load: readFileSync("/proc/loadavg", "utf8").trim() };
    for (const where of ["cross", "local"] as const) {
      for (const load of ["keepAlive", "newConn"] as const) {
        const l4 = med(`l4.${where}.${load}`), l7 = med(`l7.${where}.${load}`);
        out[`${where}.${load}`] = { l4, l7, throughputCost: r3(1 - l7 / l4) };
      }
    }
    out.anchor = "Cilium L7 policy: 86-89% throughput cost (published benchmark)";
    console.log(JSON.stringify(out, null, 2));
    writeFileSync(path.join(__dirname, "..", "..", "..", "bench", "l7", "cross-node-last-run.json"), JSON.stringify(out, null, 2) + "\n");
  } finally {
    for (const h of nodes) await h.tearDown();
    await ul.tearDown();
  }
}

void main();
