// Control-plane benchmark: per-workload network setup/teardown time of the CNI reference chain,
// netavark, a hand-written floor and Ponton, all inside throwaway namespaces.
//   node dist/bench/control-plane/run.js [--n 100] [--cli-n 20] [--only cni,netavark,floor,ponton]
import * as fs from "node:fs";
import * as path from "node:path";
import { defer, installSignalHandlers, runCleanup } from "../lib/cleanup";
import { createHostNs, inNs, machineSnapshot, ownedNamespaces, deleteNamespaces } from "../lib/netns";
import { CLI_JS, DAEMON_JS, REPO_ROOT } from "../lib/ponton-daemon";
import { mustRun } from "../lib/proc";
import { summarize } from "../lib/stats";
import { ANCHORS } from "./anchors";
import { CniSubject } from "./cni-subject";
import { FloorSubject } from "./floor-subject";
import { Samples, measure } from "./measure";
import { NetavarkSubject } from "./netavark-subject";
import { PontonSubject } from "./ponton-subject";
import { SubjectResult, renderDetails, renderTable } from "./report";
import { Subject } from "./subject";

const ALL = ["floor", "cni", "netavark", "ponton-api", "ponton-cli"];

interface Args {
  n: number;
  cliN: number;
  only: string[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { n: 100, cliN: 20, only: ALL };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === "--n") args.n = positive(v, "--n"), i++;
    else if (argv[i] === "--cli-n") args.cliN = positive(v, "--cli-n"), i++;
    else if (argv[i] === "--only") {
      const wanted = (v ?? "").split(",").flatMap((x) => (x === "ponton" ? ["ponton-api", "ponton-cli"] : [x]));
      const bad = wanted.filter((x) => !ALL.includes(x));
      if (bad.length) throw new Error(`--only: unknown ${bad.join(",")} (known: cni, netavark, floor, ponton, ponton-api, ponton-cli)`);
      args.only = ALL.filter((x) => wanted.includes(x));
      i++;
    } else throw new Error(`unknown argument ${argv[i]}`);
  }
  return args;
}

function positive(v: string | undefined, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 2) throw new Error(`${flag} needs an integer >= 2 (the checks use workloads 1 and 2)`);
  return n;
}

/** What `ip netns exec HOST` adds to every process the CNI/netavark/floor subjects start. */
async function calibrate(prefix: string): Promise<{ spawnTrueP50: number; nsExecTrueP50: number }> {
  const host = `${prefix}-cal-host`;
  const undo = await createHostNs(host);
  const plain: number[] = [];
  const wrapped: number[] = [];
  for (let i = 0; i < 30; i++) {
    plain.push((await mustRun(["/bin/true"])).ms);
    wrapped.push((await mustRun(inNs(host, ["/bin/true"]))).ms);
  }
  await undo();
  return { spawnTrueP50: summarize(plain).p50, nsExecTrueP50: summarize(wrapped).p50 };
}

function makeSubject(id: string, prefix: string, tmp: string): Subject {
  switch (id) {
    case "cni": return new CniSubject(prefix, tmp);
    case "netavark": return new NetavarkSubject(prefix, tmp);
    case "floor": return new FloorSubject(prefix);
    case "ponton-api": return new PontonSubject("api", `${prefix}a`, tmp);
    case "ponton-cli": return new PontonSubject("cli", `${prefix}c`, tmp);
    default: throw new Error(`no subject ${id}`);
  }
}

function skipReason(id: string): string | undefined {
  if (!id.startsWith("ponton")) return undefined;
  if (!fs.existsSync(DAEMON_JS)) return `${path.relative(REPO_ROOT, DAEMON_JS)} not built`;
  if (id === "ponton-cli" && !fs.existsSync(CLI_JS)) return `${path.relative(REPO_ROOT, CLI_JS)} not built`;
  return undefined;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error("needs root (network namespaces)");
  installSignalHandlers();
  const prefix = `pb${process.pid}`;
  const tmp = `/tmp/${prefix}-bench`;
  fs.mkdirSync(tmp, { recursive: true });
  defer(`rm -rf ${tmp}`, () => fs.rmSync(tmp, { recursive: true, force: true }));
  const before = await machineSnapshot();

  const calibration = await calibrate(prefix);
  const results: SubjectResult[] = [];
  const samples: Record<string, Samples> = {};
  for (const id of args.only) {
    const reason = skipReason(id);
    if (reason) {
      results.push({ id, label: id, status: "SKIPPED", error: reason, failures: 0, failureExamples: [], checks: [], notes: [] });
      continue;
    }
    const m = await measure(makeSubject(id, prefix, tmp), id === "ponton-cli" ? Math.min(args.cliN, args.n) : args.n, tmp);
    results.push(m.result);
    samples[id] = m.samples;
  }

  const ref = results.find((r) => r.id === "ponton-api" && r.add);
  for (const r of results) {
    if (ref?.add && r.add) r.ratioAdd = r.add.p50 / ref.add.p50;
    if (ref?.del && r.del) r.ratioDel = r.del.p50 / ref.del.p50;
  }

  await runCleanup();
  await deleteNamespaces(ownedNamespaces(prefix)); // anything a tool made under our prefix
  const after = await machineSnapshot();
  const leftovers = ownedNamespaces(prefix);
  const machineOk = leftovers.length === 0 && after.nftTables === before.nftTables && after.ipForward === before.ipForward;

  console.log(`control plane, N=${args.n} sequential ADDs then DELs, 1 published tcp port each, ms per workload (caller's view)`);
  console.log(`ratio columns: subject p50 / Ponton API p50 (how many times faster Ponton is)\n`);
  console.log(renderTable(results));
  console.log(`\nspawn /bin/true p50 ${calibration.spawnTrueP50.toFixed(2)} ms; via 'ip netns exec HOST' ${calibration.nsExecTrueP50.toFixed(2)} ms ` +
    `(the anchors ran their tools in the machine's namespace, so each process here pays the difference)`);
  console.log(renderDetails(results));
  console.log(`machine: ${machineOk ? "untouched (no netns, nft tables and ip_forward as before)" : `CHANGED: leftover netns=[${leftovers.join(" ")}] ` +
    `nft tables ${after.nftTables === before.nftTables ? "same" : "differ"}, ip_forward ${before.ipForward}->${after.ipForward}`}`);

  const out = path.join(REPO_ROOT, "bench/control-plane/last-run.json");
  const round = (xs: number[]) => xs.map((x) => Math.round(x * 100) / 100);
  fs.writeFileSync(out, JSON.stringify({
    date: new Date().toISOString(), n: args.n, cliN: args.cliN, prefix, node: process.version, calibration, machineOk,
    anchors: ANCHORS,
    subjects: results.map((r) => ({ ...r, samples: samples[r.id] && { add: round(samples[r.id].add), del: round(samples[r.id].del) } })),
  }, null, 2) + "\n");
  console.log(`wrote ${path.relative(process.cwd(), out) || out}`);
  return results.some((r) => r.status === "FAIL" || r.status === "ERROR") || !machineOk ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  async (err: Error) => {
    process.stderr.write(`control-plane bench: ${err.message}\n`);
    await runCleanup();
    process.exit(2);
  },
);
