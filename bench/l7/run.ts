// Requests/s and p99 through a port guarded by CiliumNetworkPolicy HTTP rules (the L7 proxy, HAProxy) vs
// the same port under the same policy without the rules (L3/L4 only, the kernel path), in one run,
// in a throwaway host namespace: wrk from one workload to another, keep-alive (10 connections)
// and a new connection per request (`Connection: close`), the two policies alternated (A B A B …)
// because the machine is shared; medians and their ratios.
// Anchor: a published benchmark has Cilium's L7 policy costing 86–89% of throughput.
// Run: npx tsc -p tsconfig.json && node dist/bench/l7/run.js [--quick]
import { writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost } from "../../test/integration/harness";
import { summarize } from "../lib/stats";

const quick = process.argv.includes("--quick");
const SECONDS = quick ? 2 : 4;
const ROUNDS = quick ? 2 : 3;
const SERVER = `require("http").createServer((q,s)=>s.end("ok\\n")).listen(80)`;
const policy = (http: boolean) => `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: web, namespace: default}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: client}}]
    toPorts:
    - ports: [{port: "80", protocol: TCP}]
${http ? `      rules: {http: [{method: GET, path: "/"}]}\n` : ""}`;

interface WrkResult { rps: number; p99ms: number }

function ms(text: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(text);
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1);
}

async function wrk(h: TestHost, addr: string, close: boolean): Promise<WrkResult> {
  const r = await h.inWorkload("cli", "wrk", ["-t1", "-c10", `-d${SECONDS}s`, "--latency", ...(close ? ["-H", "Connection: close"] : []), `http://${addr}/`], 60_000);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout);
  if (non2xx) throw new Error(`wrk saw ${non2xx[1]} non-2xx answers: the policy or the proxy refused requests\n${r.stdout}`);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? 0), p99ms: ms(/\s99%\s+(\S+)/.exec(r.stdout)?.[1] ?? "") };
}

type Mode = "l4" | "l7";
type Load = "keepAlive" | "newConn";

async function main(): Promise<void> {
  const h = await new TestHost("bl7").setUp();
  try {
    await h.pontonOk("network", "create", "bench", "--subnet", "10.78.0.0/24");
    const web = JSON.parse(await h.pontonOk("run", "--name", "web", "--network", "bench", "--label", "app=web", "-o", "json", "--", process.execPath, "-e", SERVER)) as { networks: { ip4: string }[] };
    await h.pontonOk("run", "--name", "cli", "--network", "bench", "--label", "app=client");
    await h.inWorkload("cli", "sysctl", ["-qw", "net.ipv4.tcp_tw_reuse=1", "net.ipv4.ip_local_port_range=1024 65535"]);
    const addr = web.networks[0]!.ip4;
    const files = { l4: path.join(h.dir, "l4.yaml"), l7: path.join(h.dir, "l7.yaml") };
    writeFileSync(files.l4, policy(false));
    writeFileSync(files.l7, policy(true));
    const samples: Record<`${Mode}.${Load}`, WrkResult[]> = { "l4.keepAlive": [], "l4.newConn": [], "l7.keepAlive": [], "l7.newConn": [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ["l4", "l7"] as const) {
        await h.pontonOk("policy", "apply", "-f", files[mode]);
        await h.inHost("conntrack", ["-F"]);
        await wrk(h, addr, false); // warm-up
        for (const load of ["keepAlive", "newConn"] as const) {
          const r = await wrk(h, addr, load === "newConn");
          samples[`${mode}.${load}`].push(r);
          console.log(JSON.stringify({ round, mode, load, rps: Math.round(r.rps), p99ms: r.p99ms }));
        }
      }
    }
    const med = (k: keyof typeof samples) => ({ rps: Math.round(summarize(samples[k].map((s) => s.rps)).p50), p99ms: summarize(samples[k].map((s) => s.p99ms)).p50 });
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    const out: Record<string, unknown> = { date: new Date().toISOString(), seconds: SECONDS, rounds: ROUNDS, connections: 10, load: (await h.inHost("cat", ["/proc/loadavg"])).stdout.trim() };
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
