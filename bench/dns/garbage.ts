// Answer rate under a garbage flood: dnsperf's max QPS against our server (pinned to cpu0) for
// real names, with and without a sender of malformed datagrams at --pps (garbage-sender.c, built
// here with cc; pinned to cpu1 beside dnsperf, one sendmmsg per 10 ms), in alternating rounds. Both UDP paths: the native fast path (hits on the listener
// thread) and Node's dgram (every query in JS, where a costly decode stalls the event loop).
// `--old DIR`: also serve from another build (DIR/bench/dns/serve.js), for a before/after.
// Usage: node dist/bench/dns/garbage.js [--seconds 4] [--rounds 3] [--pps 3000] [--port-base 15360] [--old DIR]
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import path from "node:path";
import { maxQps } from "./dnsperf";
import { stopAll } from "./procs";
import { nameOf, startPonton } from "./subjects";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Starts the sender; the returned function stops it and resolves with its "sent N" line. */
function flood(sender: string, port: number, pps: number): () => Promise<string> {
  const child = spawn("taskset", ["-c", "1", sender, String(port), String(pps)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  return async () => {
    child.kill("SIGTERM");
    await exited;
    return out.trim();
  };
}

async function main(): Promise<void> {
  const seconds = Number(arg("seconds") ?? 4);
  const rounds = Number(arg("rounds") ?? 3);
  const pps = Number(arg("pps") ?? 3000);
  const base = Number(arg("port-base") ?? 15360);
  const old = arg("old");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ponton-dns-garbage-"));
  const sender = path.join(dir, "garbage-sender");
  // The C source sits beside the TypeScript (dist/bench/dns -> bench/dns).
  execFileSync("cc", ["-O2", "-Wall", "-Wextra", "-o", sender, path.resolve(__dirname, "../../../bench/dns/garbage-sender.c")]);
  const queries = path.join(dir, "queries.txt");
  fs.writeFileSync(queries, Array.from({ length: 100 }, (_, k) => `${nameOf(k + 1)} A\n`).join(""));
  const subjects: { label: string; udp: "native" | "node"; serve?: string }[] = [
    { label: "native", udp: "native" },
    { label: "node dgram", udp: "node" },
  ];
  if (old) subjects.push({ label: "before: native", udp: "native", serve: path.join(old, "bench/dns/serve.js" ) }, { label: "before: node dgram", udp: "node", serve: path.join(old, "bench/dns/serve.js") });
  const rows: { label: string; port: number; clean: number[]; flooded: number[]; sent: string[] }[] = [];
  try {
    for (const [i, s] of subjects.entries()) {
      const port = base + i;
      await startPonton(dir, port, 100, s.udp, s.serve);
      rows.push({ label: s.label, port, clean: [], flooded: [], sent: [] });
    }
    for (let r = 0; r < rounds; r++) {
      for (const row of rows) {
        process.stderr.write(`${row.label}: round ${r + 1}/${rounds} clean…\n`);
        row.clean.push((await maxQps(row.port, queries, seconds)).qps);
        process.stderr.write(`${row.label}: round ${r + 1}/${rounds} with ${pps} garbage pps…\n`);
        const stop = flood(sender, row.port, pps);
        await new Promise((res) => setTimeout(res, 300)); // the flood is running before dnsperf starts
        row.flooded.push((await maxQps(row.port, queries, seconds)).qps);
        row.sent.push(await stop());
      }
    }
  } finally {
    await stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const when = new Date().toISOString().slice(0, 16).replace("T", " ");
  console.log(`\nDNS answer rate under ${pps} garbage datagrams/s — ${when} UTC, ${rounds} rounds of ${seconds} s, medians (load ${os.loadavg()[0].toFixed(1)})\n`);
  console.log("| server | max QPS clean | max QPS with garbage | ratio (goal ≥ 0.90) |");
  console.log("|---|---|---|---|");
  for (const row of rows) {
    const c = median(row.clean);
    const f = median(row.flooded);
    console.log(`| ${row.label} | ${Math.round(c).toLocaleString("en")} | ${Math.round(f).toLocaleString("en")} | ${(f / c).toFixed(2)} |`);
  }
  console.log(`\nsender: ${rows[0]?.sent[0] ?? "-"} (per round)`);
}

main().catch(async (err) => {
  await stopAll();
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
