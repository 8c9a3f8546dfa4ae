// CLI latency (issue 15, "the CLI feels instant"): wall and CPU time per command, in one run,
// interleaved round by round, medians — for `ponton ls`, `ponton run` and `rm`, `--help`:
//  - the bare API call (curl --unix-socket: a process start plus the request, the floor of any CLI);
//  - bin/ponton-client, the native fast path (pontond runs the CLI in-process), and bin/ponton (the
//    sh entry point that execs it);
//  - the Node CLI (dist/src/cli/main.js), the same bundled into one file with esbuild, and the floors
//    of any Node CLI: `node -e 0` and a Node start from a V8 startup snapshot (--snapshot-blob);
//  - podman 4 (`podman ps`, `podman network ls`, `podman network create`/`rm`) and the docker CLI
//    (no engine here: `docker ps` is its start plus a refused connection) when installed.
// "over API" is the median of the per-round differences to the API call of the same round;
// "pontond CPU" the daemon's CPU during the sample (from /proc ticks, so a mean over the rounds).
// Each sample runs under rusage-exec (wait4: wall from fork to reap, the child's user+sys CPU).
// Run: npm run build && sudo node dist/bench/cli/run.js [--rounds 30]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { TestHost } from "../../test/integration/harness";

const ROUNDS = Number(process.argv[process.argv.indexOf("--rounds") + 1] ?? 30) || 30;
const ROOT = path.resolve(__dirname, "../../..");
const SRC = path.join(ROOT, "bench/cli");
const has = (cmd: string) => {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

interface Sample {
  wall: number;
  cpu: number;
  exit: number;
  /** pontond's CPU over the sample (clock ticks: only its mean over many samples means much). */
  daemonCpu: number;
}

const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
/** utime + stime of a process, ms (fields 14 and 15 of /proc/PID/stat). */
const cpuOf = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
};

function measure(rx: string, argv: string[], daemon: number): Sample {
  const before = cpuOf(daemon);
  const [wall, user, sys, exit] = execFileSync(rx, argv, { encoding: "utf8" }).trim().split(" ").map(Number) as [number, number, number, number];
  return { wall: wall / 1000, cpu: (user + sys) / 1000, exit, daemonCpu: cpuOf(daemon) - before };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const f1 = (x: number) => x.toFixed(1);

async function main(): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "ponton-bench-cli-"));
  const rx = path.join(tmp, "rusage-exec");
  execFileSync("cc", ["-O2", "-o", rx, path.join(SRC, "rusage-exec.c")]);
  // (c) the CLI bundled into one file (esbuild, a devDependency): no module resolution at start.
  const bundle = path.join(tmp, "cli-bundle.js");
  execFileSync(path.join(ROOT, "node_modules/.bin/esbuild"), [path.join(ROOT, "src/cli/main.ts"), "--bundle", "--platform=node", "--target=node20", `--outfile=${bundle}`, "--log-level=warning"]);
  // (a) the floor of a startup snapshot: Node deserialising a heap whose main function does nothing.
  const snapEntry = path.join(tmp, "snap-entry.js");
  writeFileSync(snapEntry, `require("node:v8").startupSnapshot.setDeserializeMainFunction(() => {});\n`);
  const blob = path.join(tmp, "snap.blob");
  execFileSync(process.execPath, ["--snapshot-blob", blob, "--build-snapshot", snapEntry], { cwd: tmp });

  const h = await new TestHost("bcl").setUp();
  const S = h.socket;
  const node = process.execPath;
  const client = path.join(ROOT, "bin/ponton-client");
  const shEntry = path.join(ROOT, "bin/ponton");
  const cliJs = path.join(ROOT, "dist/src/cli/main.js");
  const curl = (method: string, url: string, body?: unknown) => ["curl", "-sf", "--unix-socket", S, "-X", method, ...(body ? ["-H", "content-type: application/json", "-d", JSON.stringify(body)] : []), `http://ponton${url}`];
  try {
    await h.pontonOk("network", "create", "bn", "--subnet", "10.91.0.0/24");
    for (let i = 0; i < 5; i++) await h.pontonOk("run", "--name", `idle${i}`, "--network", "bn");
    const daemon = h.daemonPid!;
    const podman = has("podman");
    const docker = has("docker");
    type Subject = { group: string; name: string; argv: (round: number) => string[]; anchor?: boolean };
    const lsArgs = ["--socket", S, "ls"];
    const subjects: Subject[] = [
      { group: "ls", name: "API: curl GET /v1/workloads", argv: () => curl("GET", "/v1/workloads"), anchor: true },
      { group: "ls", name: "bin/ponton-client ls (fast path)", argv: () => [client, ...lsArgs] },
      { group: "ls", name: "bin/ponton ls (sh → ponton-client)", argv: () => [shEntry, ...lsArgs] },
      { group: "ls", name: "node dist/src/cli/main.js ls", argv: () => [node, cliJs, ...lsArgs] },
      { group: "ls", name: "node cli-bundle.js ls (esbuild, one file)", argv: () => [node, bundle, ...lsArgs] },
      { group: "ls", name: "node -e 0 (floor of any Node CLI)", argv: () => [node, "-e", "0"] },
      { group: "ls", name: "node --snapshot-blob (empty main: floor of a snapshot)", argv: () => [node, "--snapshot-blob", blob] },
      ...(podman ? [
        { group: "ls", name: "podman ps", argv: () => ["podman", "ps"] },
        { group: "ls", name: "podman network ls", argv: () => ["podman", "network", "ls"] },
      ] : []),
      ...(docker ? [{ group: "ls", name: "docker ps (no engine: CLI start + refused connect)", argv: () => ["docker", "ps"] }] : []),
      { group: "help", name: "bin/ponton-client --help (served by pontond)", argv: () => [client, "--socket", S, "--help"] },
      { group: "help", name: "node dist/src/cli/main.js --help", argv: () => [node, cliJs, "--help"] },
      { group: "help", name: "node cli-bundle.js --help", argv: () => [node, bundle, "--help"] },
      ...(docker ? [{ group: "help", name: "docker --help", argv: () => ["docker", "--help"] }] : []),
      ...(podman ? [{ group: "help", name: "podman --help", argv: () => ["podman", "--help"] }] : []),
    ];
    // run then rm of a workload on bn: the API, the fast path, the Node CLI; podman network create/rm.
    const pairs: { name: string; run: (n: string) => string[]; rm: (n: string) => string[]; anchor?: boolean }[] = [
      { name: "API: curl POST /v1/workloads / DELETE", run: (n) => curl("POST", "/v1/workloads", { name: n, networks: ["bn"] }), rm: (n) => curl("DELETE", `/v1/workloads/${n}`), anchor: true },
      { name: "bin/ponton-client run / rm (fast path)", run: (n) => [client, "--socket", S, "run", "--name", n, "--network", "bn"], rm: (n) => [client, "--socket", S, "rm", n] },
      { name: "node dist/src/cli/main.js run / rm", run: (n) => [node, cliJs, "--socket", S, "run", "--name", n, "--network", "bn"], rm: (n) => [node, cliJs, "--socket", S, "rm", n] },
      ...(podman ? [{ name: "podman network create / rm", run: (n: string) => ["podman", "network", "create", `pcli-${n}`], rm: (n: string) => ["podman", "network", "rm", `pcli-${n}`] }] : []),
    ];
    const samples = new Map<string, Sample[]>();
    const push = (k: string, s: Sample) => samples.set(k, [...(samples.get(k) ?? []), s]);
    const load0 = os.loadavg();
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round so no subject always follows the same one.
      const rot = (xs: Subject[]) => xs.map((_, i) => xs[(i + round) % xs.length]!);
      for (const s of rot(subjects)) push(s.name, measure(rx, s.argv(round), daemon));
      for (const [i, p] of pairs.entries()) {
        const n = `b${round}x${i}`;
        push(`run:${p.name}`, measure(rx, p.run(n), daemon));
        push(`rm:${p.name}`, measure(rx, p.rm(n), daemon));
      }
    }
    const load1 = os.loadavg();
    const bad = [...samples].filter(([k, xs]) => xs.some((x) => x.exit !== 0) && !/docker ps/.test(k));
    const row = (name: string, anchor: string | undefined) => {
      const xs = samples.get(name)!;
      const a = anchor ? samples.get(anchor)! : undefined;
      const over = a ? f1(median(xs.map((x, i) => x.wall - a[i]!.wall))) : "";
      const exits = [...new Set(xs.map((x) => x.exit))].join(",");
      const daemonMean = xs.reduce((t, x) => t + x.daemonCpu, 0) / xs.length;
      return `| ${name.replace(/^(run|rm):/, "")} | ${f1(median(xs.map((x) => x.wall)))} | ${over} | ${f1(median(xs.map((x) => x.cpu)))} | ${f1(daemonMean)} | ${exits} |`;
    };
    const out: string[] = [];
    out.push(`CLI latency, ${ROUNDS} rounds interleaved, medians (ms); load average ${load0.map(f1).join(" ")} → ${load1.map(f1).join(" ")}, ${os.cpus().length} CPUs`);
    out.push("", "| command | wall | over API (paired) | CPU user+sys | pontond CPU (mean) | exit |", "|---|---|---|---|---|---|");
    const lsAnchor = subjects.find((s) => s.anchor)!.name;
    for (const s of subjects) out.push(row(s.name, s.group === "ls" && !s.anchor ? lsAnchor : undefined));
    const pairAnchor = pairs.find((p) => p.anchor)!.name;
    for (const kind of ["run", "rm"]) for (const p of pairs) out.push(row(`${kind}:${p.name}`, p.anchor ? undefined : `${kind}:${pairAnchor}`).replace("| ", `| ${kind}: `));
    if (bad.length) out.push("", `non-zero exits: ${bad.map(([k]) => k).join("; ")}`);
    console.log(out.join("\n"));
  } finally {
    await h.tearDown();
    if (existsSync(tmp)) execFileSync("rm", ["-rf", tmp]);
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
