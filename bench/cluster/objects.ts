// Cluster objects, two nodes (A, B) on one etcd in underlay namespaces:
// (1) `namespace label shop team=…` on A until B's API shows the new label (B's mirror has put it
//     in its store, in the change that then recompiles its table; polled every 5 ms): from the
//     request, and from A's answer (negative: B had it before A's own nft transaction answered —
//     etcd is written first, then both apply).
// (2) `run --node B` asked of A beside the same run asked of B itself (the forwarding's cost), each
//     removed on B after; interleaved rounds, ratio of medians.
// Run: npm run build && sudo node dist/bench/cluster/objects.js [--rounds 10]
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { TestHost, eventually } from "../../test/integration/harness";
import { Underlay, UNDERLAY_PREFIX } from "../../test/integration/underlay";
import { summarize } from "../lib/stats";

const arg = (name: string, def: number) => Number(process.argv[process.argv.indexOf(`--${name}`) + 1] || def) || def;
const rounds = arg("rounds", 10);

/** performance.now() once `check` holds, polled every 5 ms (bounded). */
async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<number> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (await check()) return performance.now();
    await new Promise((r) => setTimeout(r, 5));
  }
  return NaN;
}

const fmt = (xs: number[]) => {
  const s = summarize(xs);
  return `p50 ${s.p50.toFixed(1)} ms  p99 ${s.p99.toFixed(1)} ms  min ${s.min.toFixed(1)}  max ${s.max.toFixed(1)}  (n=${s.n})`;
};

async function main(): Promise<void> {
  const ul = new Underlay("hcb");
  const nodes = ["A", "B"].map((n) => new TestHost(`hcb${n}`));
  const addr = (i: number) => `${UNDERLAY_PREFIX}.${11 + i}`;
  const load = [os.loadavg()[0]!];
  try {
    await ul.setUp();
    await ul.startEtcd(1);
    await Promise.all(
      nodes.map((h, i) => {
        h.daemonArgs = ["--cluster", ul.endpoints.join(","), "--node-name", `n${i}`, "--node-ip", addr(i), "--flow-log", "off"];
        return h.setUp({ beforeDaemon: () => ul.plug(h.hostNs, "ul0", addr(i)).then(() => undefined) });
      }),
    );
    const [a, b] = nodes as [TestHost, TestHost];
    await a.pontonOk("network", "create", "pods", "--scope", "cluster", "--subnet", "10.42.0.0/16");
    for (const h of nodes) await eventually(async () => (await h.ponton("network", "inspect", "pods")).code === 0, 20_000);
    await a.pontonOk("namespace", "create", "shop", "--label", "team=a");
    await b.pontonOk("run", "-d", "--name", "srv", "--network", "pods", "--label", "app=web", "--", "sleep", "3600");
    await b.pontonOk("run", "-d", "--name", "cli", "--namespace", "shop", "--network", "pods", "--", "sleep", "3600");
    const file = path.join(ul.dir, "p.yaml");
    writeFileSync(file, `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: from-team-b1 }
spec:
  podSelector: { matchLabels: { app: web } }
  ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: b1 } } }] }]
`);
    await b.pontonOk("policy", "apply", "-f", file);
    const fromRequest: number[] = [];
    const fromAnswer: number[] = [];
    for (let i = 0; i < rounds; i++) {
      // Alternate team=b1 (selected) and team=a (not): every round moves B's allowed set.
      const team = i % 2 === 0 ? "b1" : "a";
      const t0 = performance.now();
      const seen = until(async () => ((await b.client.request("GET", "/v1/namespaces")) as { name: string; labels: Record<string, string> }[]).some((n) => n.name === "shop" && n.labels.team === team));
      await a.client.request("POST", "/v1/namespaces/shop/labels", { set: { team } });
      const t1 = performance.now();
      const t = await seen;
      fromRequest.push(t - t0);
      fromAnswer.push(t - t1);
    }
    load.push(os.loadavg()[0]!);
    const viaA: number[] = [];
    const onB: number[] = [];
    for (let i = 0; i < rounds; i++) {
      for (const [via, out] of [[a, viaA], [b, onB]] as const) {
        const t0 = performance.now();
        await via.client.request("POST", "/v1/workloads", { name: `p${i}`, node: "n1", networks: ["pods"], command: ["sleep", "3600"] });
        out.push(performance.now() - t0);
        await b.client.request("DELETE", `/v1/workloads/p${i}?force=1`);
      }
    }
    load.push(os.loadavg()[0]!);
    console.log(`cluster objects, 2 nodes, 1 etcd member, load average (1 min) ${load.map((x) => x.toFixed(1)).join(" → ")}`);
    console.log(`namespace label on A → B has it (from the request)       : ${fmt(fromRequest)}`);
    console.log(`namespace label on A → B has it (from A's answer):         ${fmt(fromAnswer)}`);
    console.log(`run --node B asked of A:                                     ${fmt(viaA)}`);
    console.log(`the same run asked of B:                                     ${fmt(onB)}`);
    console.log(`ratio of medians (via A / on B): ${(summarize(viaA).p50 / summarize(onB).p50).toFixed(2)}`);
  } finally {
    for (const h of nodes) await h.tearDown();
    await ul.tearDown();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
