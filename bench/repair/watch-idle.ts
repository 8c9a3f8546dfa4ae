// What watching inside workload namespaces costs: bin/ponton-watch with 0 and N namespaces watched
// (one netlink socket each in its epoll set). Prints the helper's CPU over an idle window, its RSS
// and open descriptors, the time to start watching N, and the time from an address deleted in the
// last namespace to the helper's line about it, beside what one round of polling N namespaces with
// `ip` would take (the anchor this design avoids). Run as root after `npm run build`:
//   node dist/bench/repair/watch-idle.js [--n 1000] [--idle 10]
import { spawn, execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg("n", 1000);
const IDLE_S = arg("idle", 10);
const HELPER = path.resolve(__dirname, "..", "..", "..", "bin", "ponton-watch");
const PREFIX = `pwb${process.pid % 100000}`;
const TICK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());

const cpuTicks = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(f[11]) + Number(f[12]); // utime + stime
};
const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const ipBatch = (lines: string[]) => execFileSync("ip", ["-batch", "-"], { input: lines.join("\n") + "\n" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const names = Array.from({ length: N }, (_, i) => `${PREFIX}-${i}`);
  ipBatch(names.map((n) => `netns add ${n}`));
  const last = names[names.length - 1]!;
  execFileSync("ip", ["-n", last, "link", "add", "d0", "type", "veth", "peer", "name", "d1"]);
  execFileSync("ip", ["-n", last, "addr", "add", "10.77.0.1/24", "dev", "d0"]);
  const child = spawn(HELPER, ["inet", "ponton-bench-none", `${PREFIX}-none-`, "pbench-none"], { stdio: ["pipe", "pipe", "inherit"] });
  const lines: ((l: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on("line", (l) => lines.forEach((f) => f(l)));
  const waitLine = (re: RegExp) => new Promise<void>((r) => lines.push((l) => re.test(l) && r()));
  await waitLine(/^ready$/);
  const pid = child.pid!;
  try {
    const idle = async (label: string) => {
      const t0 = cpuTicks(pid);
      await sleep(IDLE_S * 1000);
      const ms = ((cpuTicks(pid) - t0) / TICK) * 1000;
      console.log(`${label}: CPU ${ms.toFixed(0)} ms over ${IDLE_S} s idle (${((ms / (IDLE_S * 1000)) * 100).toFixed(3)} %), RSS ${rssKb(pid)} KiB, fds ${fds(pid)}`);
    };
    await idle("0 namespaces watched");
    const started = performance.now();
    child.stdin!.write(names.map((n) => `watch ${n}`).join("\n") + "\n");
    while (fds(pid) < N + 5) await sleep(5);
    console.log(`watch ${N} namespaces: ${(performance.now() - started).toFixed(0)} ms`);
    await idle(`${N} namespaces watched`);
    const seen = waitLine(new RegExp(`^inaddr ${last} del 10\\.77\\.0\\.1/24$`));
    const t = performance.now();
    execFileSync("ip", ["-n", last, "addr", "del", "10.77.0.1/24", "dev", "d0"]);
    await seen;
    console.log(`address deleted in the ${N}th namespace → helper's line: ${(performance.now() - t).toFixed(1)} ms (includes the ip command)`);
    // The alternative this replaces: looking. One `ip -n NS -j addr` per namespace is one round of a poller.
    const sample = names.slice(0, 50);
    const p0 = performance.now();
    for (const n of sample) execFileSync("ip", ["-n", n, "-j", "addr"]);
    const per = (performance.now() - p0) / sample.length;
    console.log(`anchor, polling: one round over ${N} namespaces with \`ip -n NS -j addr\` ≈ ${((per * N) / 1000).toFixed(1)} s wall (${per.toFixed(1)} ms each, ${sample.length} sampled)`);
  } finally {
    child.kill("SIGTERM");
    ipBatch(names.map((n) => `netns del ${n}`));
  }
}

void main();
