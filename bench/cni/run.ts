// CNI ADD/DEL latency: ponton-cni vs the reference bridge+host-local(+portmap) chain, same run,
// N sequential then P in parallel, each chain in its own throwaway host namespace.
//   node dist/bench/cni/run.js [--n 100] [--p 20]
import * as fs from "node:fs";
import { installSignalHandlers, runCleanup } from "../lib/cleanup";
import { createHostNs, createNamespaces, deleteNamespaces, machineSnapshot, ownedNamespaces } from "../lib/netns";
import { PontonDaemon } from "../lib/ponton-daemon";
import { summarize } from "../lib/stats";
import { chains, runChain, type Chain, type Sandbox } from "./chains";

interface Row {
  chain: Chain;
  seqAdd: number[];
  seqDel: number[];
  parAdd: number[];
  parDel: number[];
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

async function measureChain(chain: Chain, prefix: string, tmp: string, n: number, p: number): Promise<Row> {
  const hostNs = `${prefix}-${chain.id}`;
  const undoHost = await createHostNs(hostNs);
  let daemon: PontonDaemon | undefined;
  fs.mkdirSync(`${tmp}/${chain.id}`, { recursive: true });
  if (chain.ponton) {
    daemon = new PontonDaemon(hostNs, `${prefix}${chain.id.replace("-", "")}`, `${tmp}/${chain.id}`);
    await daemon.start();
    const r = await daemon.request("POST", "/v1/networks", { name: "benchnet", subnet: "10.243.0.0/16" });
    if (r.status !== 201) throw new Error(`create benchnet: ${JSON.stringify(r.body)}`);
  }
  const names = Array.from({ length: Math.max(n, p) }, (_, i) => `${hostNs}-c${i}`);
  const undoNs = await createNamespaces(names);
  const sb = names.map((ns, i): Sandbox => ({ containerId: `${chain.id}-${i}`, netns: `/run/netns/${ns}`, hostPort: 20000 + i }));
  const cached = new Map<string, unknown>();
  const socket = daemon?.socket ?? "/nonexistent";
  const row: Row = { chain, seqAdd: [], seqDel: [], parAdd: [], parDel: [] };
  try {
    for (let i = 0; i < n; i++) row.seqAdd.push(await runChain(chain, "ADD", hostNs, sb[i]!, socket, cached));
    for (let i = 0; i < n; i++) row.seqDel.push(await runChain(chain, "DEL", hostNs, sb[i]!, socket, cached));
    row.parAdd = await Promise.all(sb.slice(0, p).map((s) => runChain(chain, "ADD", hostNs, s, socket, cached)));
    row.parDel = await Promise.all(sb.slice(0, p).map((s) => runChain(chain, "DEL", hostNs, s, socket, cached)));
  } finally {
    await daemon?.stop();
    await undoNs();
    await undoHost();
  }
  return row;
}

const f = (x: number) => x.toFixed(1).padStart(6);

async function main(): Promise<void> {
  installSignalHandlers();
  const n = arg("--n", 100);
  const p = arg("--p", 20);
  const prefix = `pbc${process.pid}`;
  const tmp = `/tmp/${prefix}-bench`;
  const before = await machineSnapshot();
  const rows: Row[] = [];
  for (const chain of chains(tmp)) {
    process.stderr.write(`measuring ${chain.label}…\n`);
    rows.push(await measureChain(chain, prefix, tmp, n, p));
  }
  console.log(`\nCNI ADD/DEL per container, ms (caller's view, process spawn included; N=${n} sequential, ${p} in parallel)\n`);
  console.log("chain                                 | seq ADD p50   p90 | seq DEL p50   p90 | par ADD p50   p90 | par DEL p50   p90");
  for (const r of rows) {
    const s = [r.seqAdd, r.seqDel, r.parAdd, r.parDel].map(summarize);
    console.log(`${r.chain.label.padEnd(37)} | ${s.map((x) => `${f(x.p50)} ${f(x.p90)}`).join(" |     ")}`);
  }
  const by = (id: string) => rows.find((r) => r.chain.id === id)!;
  const ratio = (ref: string, ours: string, pick: (r: Row) => number[]) => (summarize(pick(by(ref))).p50 / summarize(pick(by(ours))).p50).toFixed(1);
  console.log("\nratios (reference p50 / ponton p50; > 1 means ponton is faster):");
  for (const [ref, ours, what] of [["ref", "ponton", "no port"], ["ref-pm", "ponton-pm", "with masq + 1 port"]] as const) {
    console.log(`  ${what.padEnd(20)} ADD ${ratio(ref, ours, (r) => r.seqAdd)}x  DEL ${ratio(ref, ours, (r) => r.seqDel)}x  (parallel: ADD ${ratio(ref, ours, (r) => r.parAdd)}x  DEL ${ratio(ref, ours, (r) => r.parDel)}x)`);
  }
  console.log("anchors (RESULTS.md): ADD p50 17.2 no masq / 86.1 masq+portmap; DEL 24.5 / 192.1");
  await runCleanup();
  await deleteNamespaces(ownedNamespaces(prefix));
  fs.rmSync(tmp, { recursive: true, force: true });
  const after = await machineSnapshot();
  if (after.nftTables !== before.nftTables || after.ipForward !== before.ipForward || ownedNamespaces(prefix).length) {
    console.error("machine state changed: ", JSON.stringify({ before, after }));
    process.exitCode = 1;
  }
}

main().catch(async (e) => {
  console.error(e);
  await runCleanup();
  process.exit(1);
});
