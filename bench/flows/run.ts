// Cost of flow logging on the new-connection rate, in one run, in a throwaway host namespace:
// wrk with `Connection: close` from one workload to another (a NetworkPolicy admits it, so each
// record carries the admitting rule's id), pontond with `--flow-log on`, `--flow-log off` and
// `--flow-log on --flow-journal on` (every record also appended to a file), alternated (A B C A B C …)
// because the machine is shared; medians and their ratios.
// Run: npx tsc -p tsconfig.json && node dist/bench/flows/run.js [--quick]
import { writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost } from "../../test/integration/harness";
import { summarize } from "../lib/stats";

const quick = process.argv.includes("--quick");
const SECONDS = quick ? 2 : 4;
const ROUNDS = quick ? 2 : 4;
const SERVER = `require("http").createServer((q,s)=>s.end("ok\\n")).listen(80)`;
const POLICY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-client, namespace: default}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {matchLabels: {app: client}}}], ports: [{port: 80}]}]
`;

interface Status {
  recorded: number;
  lostBatches: number;
}

async function wrk(h: TestHost, addr: string): Promise<number> {
  const r = await h.inWorkload("cli", "wrk", ["-t1", "-c10", `-d${SECONDS}s`, "-H", "Connection: close", `http://${addr}/`], 60_000);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? 0);
}

type Mode = "on" | "off" | "journal";

async function restart(h: TestHost, mode: Mode): Promise<void> {
  await h.stopDaemon();
  h.daemonArgs = mode === "journal" ? ["--flow-log", "on", "--flow-journal", "on"] : ["--flow-log", mode];
  await h.startDaemon();
}

async function main(): Promise<void> {
  const h = await new TestHost("bf").setUp();
  try {
    await h.pontonOk("network", "create", "bench", "--subnet", "10.77.0.0/24");
    const web = JSON.parse(await h.pontonOk("run", "--name", "web", "--network", "bench", "--label", "app=web", "-o", "json", "--", process.execPath, "-e", SERVER)) as { networks: { ip4: string }[] };
    await h.pontonOk("run", "--name", "cli", "--network", "bench", "--label", "app=client");
    // Tens of thousands of short connections per run: without reuse the client runs out of
    // ephemeral ports held in TIME_WAIT and the rate collapses (a bench artefact, not the engine).
    await h.inWorkload("cli", "sysctl", ["-qw", "net.ipv4.tcp_tw_reuse=1", "net.ipv4.ip_local_port_range=1024 65535"]);
    const file = path.join(h.dir, "policy.yaml");
    writeFileSync(file, POLICY);
    await h.pontonOk("policy", "apply", "-f", file);
    const addr = web.networks[0]!.ip4;
    await new Promise((r) => setTimeout(r, 500));

    const rates: Record<Mode, number[]> = { on: [], off: [], journal: [] };
    const records: number[] = [];
    let lost = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ["on", "off", "journal"] as const) {
        await restart(h, mode);
        await h.inHost("conntrack", ["-F"]);
        await wrk(h, addr); // warm-up
        const before = await h.client.request<Status>("GET", "/v1/flows/status");
        const rps = await wrk(h, addr);
        const after = await h.client.request<Status>("GET", "/v1/flows/status");
        rates[mode].push(rps);
        if (mode === "on") records.push((after.recorded - before.recorded) / SECONDS);
        lost += after.lostBatches - before.lostBatches;
        console.log(JSON.stringify({ round, flowLog: mode, connPerSec: Math.round(rps), recordsPerSec: Math.round((after.recorded - before.recorded) / SECONDS) }));
      }
    }
    const on = summarize(rates.on).p50;
    const off = summarize(rates.off).p50;
    const journal = summarize(rates.journal).p50;
    const result = {
      date: new Date().toISOString(),
      seconds: SECONDS,
      rounds: ROUNDS,
      connPerSecFlowLogOff: Math.round(off),
      connPerSecFlowLogOn: Math.round(on),
      ratioOnOverOff: Math.round((on / off) * 1000) / 1000,
      connPerSecFlowJournalOn: Math.round(journal),
      ratioJournalOverOn: Math.round((journal / on) * 1000) / 1000,
      recordsPerSecWhileOn: Math.round(summarize(records).p50),
      lostBatches: lost,
    };
    console.log(JSON.stringify(result, null, 2));
    writeFileSync(path.join(__dirname, "..", "..", "..", "bench", "flows", "last-run.json"), JSON.stringify(result, null, 2) + "\n");
  } finally {
    await h.tearDown();
  }
}

void main();
