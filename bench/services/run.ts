// Services data plane and control plane at scale, in one run, in throwaway namespaces:
//  - new-connection rate / latency (wrk, Connection: close) and TCP throughput (iperf3) through a VIP
//    with 1, 1,000 and 10,000 services loaded, beside the same services as a linear rule list;
//  - time to add one service and one endpoint with 1 and 10,000 services present.
// Every filler service selects two real backends (app=filler), so each has a scheduler rule and
// endpoint slots, as in a real cluster: empty services would hide a per-service cost.
// Run: npx tsc -p tsconfig.json && node dist/bench/services/run.js [--quick]
import { writeFileSync } from "node:fs";
import path from "node:path";
import { sh, TestHost } from "../../test/integration/harness";
import { timeEach } from "../lib/stats";
import { iperfTcp, median, reuseTimeWait, round2, serverScript, wrk, type Runner } from "../lib/traffic";

const VIP = "10.96.0.10";
const LINEAR_VIP = "10.97.255.254";
const quick = process.argv.includes("--quick");
const SECONDS = quick ? 2 : 4;

interface Figures {
  label: string;
  connPerSec: number;
  latencyMs: number;
  gbits: number;
  connVsDirect?: number;
  gbitsVsDirect?: number;
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

async function measure(h: TestHost, label: string, addr: string): Promise<Figures> {
  // Each run leaves tens of thousands of TIME_WAIT entries: start every case from the same state
  // (this is the bench's own throwaway host namespace).
  await h.inHost("conntrack", ["-F"]);
  await new Promise((r) => setTimeout(r, 1000));
  const cli: Runner = (cmd, args, t) => h.inWorkload("cli", cmd, args, t);
  await wrk(cli, `http://${addr}/`, SECONDS); // warm-up: neighbours, conntrack, caches
  const w = await wrk(cli, `http://${addr}/`, SECONDS);
  const gbits = await iperfTcp(cli, addr, SECONDS);
  const f = { label, connPerSec: Math.round(w.rps), latencyMs: w.latencyMs, gbits: round2(gbits) };
  console.log(JSON.stringify(f));
  return f;
}

const filler = (i: number) => ({
  name: `f${i}`,
  ports: ["80/tcp"],
  selector: ["app=filler"],
  vip: `10.96.${100 + Math.floor(i / 250)}.${(i % 250) + 1}`,
});

async function loadServices(h: TestHost, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 2000) {
    const batch = [];
    for (let j = i; j < Math.min(to, i + 2000); j++) batch.push(filler(j));
    await h.client.request("POST", "/v1/services/batch", { services: batch });
  }
}

/** kube-proxy iptables-mode shape: one rule per service in a chain every new connection walks. */
async function linearTable(h: TestHost, n: number, backend: string): Promise<void> {
  const lines = ["add table ip linbench", "delete table ip linbench", "table ip linbench {", "  chain pre {", "    type nat hook prerouting priority dstnat - 5; policy accept;"];
  for (let i = 0; i < n - 1; i++) lines.push(`    ip daddr 10.97.${Math.floor(i / 250)}.${(i % 250) + 1} tcp dport 80 dnat to ${backend}:80`);
  lines.push(`    ip daddr ${LINEAR_VIP} tcp dport 80 dnat to ${backend}:80`, `    ip daddr ${LINEAR_VIP} tcp dport 5201 dnat to ${backend}:5201`, "  }", "}");
  const res = await sh("nsenter", [`--net=/run/netns/${h.hostNs}`, "nft", "-f", "-"], { input: lines.join("\n") + "\n", timeoutMs: 120_000 });
  if (res.code !== 0) throw new Error(`linear table: ${res.stderr}`);
}

async function timed(op: () => Promise<unknown>, n = 5): Promise<number> {
  return Math.round(median(await timeEach(n, op)) * 10) / 10;
}

async function controlPlane(h: TestHost, label: string, round: number) {
  const addService = await timed(async () => {
    const name = `add${round}x${Math.random().toString(36).slice(2, 8)}`;
    await h.client.request("POST", "/v1/services", { name, ports: ["80/tcp"], selector: ["app=ep"] });
  });
  let k = 0;
  const runEndpoint = await timed(async () => {
    await h.client.request("POST", "/v1/workloads", { name: `ep${round}x${k++}`, networks: ["web"], labels: { app: "ep" } });
  });
  // The endpoint change alone: a running workload gains (then loses) the label service "eps" selects.
  const labelEndpoint = await timed(async () => {
    await h.client.request("POST", "/v1/workloads/spare/labels", { set: { app: "ep" }, remove: [] });
    await h.client.request("POST", "/v1/workloads/spare/labels", { set: {}, remove: ["app"] });
  });
  const f = { label, addServiceMs: addService, runEndpointMs: runEndpoint, labelEndpointAddAndRemoveMs: labelEndpoint };
  console.log(JSON.stringify(f));
  return f;
}

/**
 * One state: direct to the backend and each case, in alternation, several rounds, median per case
 * (the machine's drift hits all alike), each case also as a ratio of direct in that same state.
 */
async function rounds(h: TestHost, direct: [string, string], cases: [string, string][], n = quick ? 1 : 3): Promise<Figures[]> {
  const all = [direct, ...cases];
  const runs = new Map<string, Figures[]>(all.map(([l]) => [l, []]));
  for (let r = 0; r < n; r++) for (const [label, addr] of all) runs.get(label)!.push(await measure(h, label, addr));
  const medians = all.map(([label]) => {
    const xs = runs.get(label)!;
    return { label, connPerSec: median(xs.map((x) => x.connPerSec)), latencyMs: median(xs.map((x) => x.latencyMs)), gbits: median(xs.map((x) => x.gbits)) };
  });
  const d = medians[0]!;
  return medians.map((m) => ({ ...m, connVsDirect: round2(m.connPerSec / d.connPerSec), gbitsVsDirect: round2(m.gbits / d.gbits) }));
}

async function main(): Promise<void> {
  const h = await new TestHost("bsv").setUp();
  const results: { data: Figures[]; control: unknown[] } = { data: [], control: [] };
  try {
    await h.pontonOk("network", "create", "web", "--subnet", "172.30.0.0/24");
    await h.pontonOk("run", "--name", "srv", "--network", "web", "--label", "app=srv", "--", "sh", "-c", serverScript(process.execPath));
    await h.pontonOk("run", "--name", "cli", "--network", "web");
    await h.pontonOk("run", "--name", "spare", "--network", "web");
    for (const b of ["fb1", "fb2"]) await h.pontonOk("run", "--name", b, "--network", "web", "--label", "app=filler");
    await reuseTimeWait((cmd, args, t) => h.inWorkload("cli", cmd, args, t));
    const backend = JSON.parse(await h.pontonOk("inspect", "srv", "-o", "json")) as { networks?: { ip4?: string }[]; attachments?: { ip4?: string }[] };
    const ip = (backend.networks ?? backend.attachments ?? [])[0]?.ip4 ?? "172.30.0.2";
    await h.pontonOk("service", "create", "eps", "--port", "80/tcp", "--selector", "app=ep");
    await h.pontonOk("service", "create", "target", "--port", "80/tcp", "--port", "5201/tcp", "--selector", "app=srv", "--vip", VIP);
    for (let i = 0; i < 50 && (await h.inWorkload("cli", "curl", ["-s", "-m", "1", `http://${VIP}/`])).stdout.trim() !== "ok"; i++) await new Promise((r) => setTimeout(r, 100));

    results.data.push(...(await rounds(h, ["direct to backend, 3 services", ip], [["VIP, 3 services", VIP]])));
    results.control.push(await controlPlane(h, "~3 services", 1));
    await loadServices(h, 0, 1000);
    results.data.push(...(await rounds(h, ["direct to backend, 1,000 services", ip], [["VIP, 1,000 services", VIP]])));
    const t = now();
    await loadServices(h, 1000, 10000);
    console.log(`9,000 more services (2 endpoints each) loaded in ${Math.round(now() - t)} ms`);
    results.data.push(...(await rounds(h, ["direct to backend, 10,000 services", ip], [["VIP, 10,000 services", VIP]])));
    results.control.push(await controlPlane(h, "10,000 services", 2));
    // Last, and alone: its chain is walked by every new connection that no NAT rule took before it,
    // direct ones included, so the direct figure of this state is not the one above.
    await linearTable(h, 10000, ip);
    results.data.push(...(await rounds(h, ["direct to backend, beside the linear list", ip], [["linear list, 10,000 rules (target last)", LINEAR_VIP]])));
    await h.inHost("nft", ["delete", "table", "ip", "linbench"]);
    console.log("\nmedians, and each case against direct-to-backend in the same state:");
    for (const d of results.data) {
      console.log(`  ${d.label.padEnd(42)} ${String(d.connPerSec).padStart(6)} conn/s (${d.connVsDirect!.toFixed(2)})  ${d.latencyMs.toFixed(2)} ms  ${d.gbits} Gbit/s (${d.gbitsVsDirect!.toFixed(2)})`);
    }
    writeFileSync(path.join(__dirname, "..", "..", "..", "bench", "services", "last-run.json"), JSON.stringify(results, null, 2) + "\n");
  } finally {
    await h.tearDown();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
