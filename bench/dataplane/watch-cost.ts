// What ponton-watch costs the kernel per rtnetlink notification with N workload namespaces watched
// (issue 20): a socket per namespace (main's build) against one NETLINK_LISTEN_ALL_NSID socket (this
// build), alternated in one run, with no watcher as the floor. N namespaces each with a veth into a
// "host" namespace (so each has an nsid there, as a routed workload has); the watcher runs in that
// host namespace and is told `watch` for every one. Then K link changes (`ip -batch`, set up/down)
// are made in a namespace nobody watches and in the last watched one: the kernel broadcasts each in the
// changing process's own system call, so the `ip` process's system CPU is the notification cost.
// CPU time swells with the machine's load; `--perf` also samples each `ip` (perf record, cpu-clock)
// and gives the share of its samples in the broadcast's walk over every multicast netlink socket of
// the machine (netlink_broadcast_filtered, do_one_broadcast) and in nsid lookups (peernet2id,
// idr_for_each, net_eq_idr), a figure the load changes far less (other processes' sockets count too:
// the walk is machine-wide).
// Usage: node dist/bench/dataplane/watch-cost.js [--n 1000] [--k 20000] [--rounds 3] [--prefix wa]
//        [--old /work/main/bin/ponton-watch] [--perf]
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { mustRun, run, sleep, cpuMs } from "../lib/proc";
import { median, round2 } from "../lib/traffic";

const argOf = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const N = Number(argOf("n") ?? 1000);
const K = Number(argOf("k") ?? 20000);
const ROUNDS = Number(argOf("rounds") ?? 3);
const P = argOf("prefix") ?? "wa";
const OLD = argOf("old") ?? "/work/main/bin/ponton-watch";
const NEW = path.resolve(__dirname, "..", "..", "..", "bin", "ponton-watch");
const HOST = `${P}-h`;
const QUIET = `${P}-quiet`;
const ws = Array.from({ length: N }, (_, i) => `${P}-w${i}`);
const PERF = process.argv.includes("--perf");
/** The walk over every multicast netlink socket of the machine, and the nsid lookups (each walks every id of a namespace). */
const WALK = /^(netlink_broadcast_filtered|do_one_broadcast)$/;
const NSID = /peernet2id|peernet_has_id|idr_for_each|net_eq_idr/;
const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

async function batch(lines: string[], netns?: string): Promise<void> {
  await mustRun(["ip", ...(netns ? ["-n", netns] : []), "-batch", "-"], { input: lines.join("\n") + "\n", timeoutMs: 600_000 });
}

/** System and user CPU ms of K link changes in `netns` (set c0 up, down, ...), and with --perf the % of its samples in the broadcast. */
async function churn(netns: string): Promise<{ ms: number; share: string }> {
  const lines = Array.from({ length: K }, (_, i) => `link set c0 ${i % 2 ? "down" : "up"}`);
  const data = `/tmp/${P}-watch-cost.perf`;
  const perf = PERF ? ["perf", "record", "-q", "-e", "cpu-clock", "-o", data, "--"] : [];
  const r = await mustRun(["/usr/bin/time", "-f", "%S %U", ...perf, "ip", "-n", netns, "-batch", "-"], { input: lines.join("\n") + "\n", timeoutMs: 600_000 });
  const [sys, user] = r.stderr.trim().split("\n").at(-1)!.split(" ").map(Number);
  let share = "";
  if (PERF) {
    const report = (await mustRun(["perf", "report", "-i", data, "--stdio", "--sort", "sym"])).stdout;
    let walk = 0;
    let nsid = 0;
    for (const m of report.matchAll(/^\s+([\d.]+)%\s+\[k\]\s+(\S+)/gm)) {
      if (WALK.test(m[2]!)) walk += Number(m[1]);
      else if (NSID.test(m[2]!)) nsid += Number(m[1]);
    }
    share = `${round2(walk)}+${round2(nsid)}`;
    rmSync(data, { force: true });
  }
  return { ms: (sys! + user!) * 1000, share };
}

interface Watcher {
  pid: number;
  stop: () => Promise<void>;
}

async function startWatcher(bin: string): Promise<Watcher> {
  const child = spawn("ip", ["netns", "exec", HOST, bin, "inet", "ponton", `${P}-`, `${P}v`], { stdio: ["pipe", "pipe", "inherit"] });
  child.stdout!.resume();
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.once("error", reject);
  });
  child.stdin!.write(ws.map((w) => `watch ${w}`).join("\n") + "\n");
  // Settled: its descriptors and CPU stop moving.
  let last = "";
  for (;;) {
    await sleep(300);
    const now = `${readdirSync(`/proc/${child.pid}/fd`).length} ${cpuMs(child.pid!)}`;
    if (now === last) break;
    last = now;
  }
  return {
    pid: child.pid!,
    stop: () => new Promise((r) => (child.once("close", () => r()), child.stdin!.end())),
  };
}

async function main(): Promise<void> {
  console.log(`N=${N} namespaces, K=${K} link changes per measure, ${ROUNDS} rounds; load average ${loadavg()} at start`);
  await mustRun(["ip", "netns", "add", HOST]);
  await mustRun(["ip", "netns", "add", QUIET]);
  try {
    await batch(ws.map((w) => `netns add ${w}`));
    await batch(ws.map((w, i) => `link add ${P}v${i} type veth peer name eth0 netns ${w}`), HOST);
    await batch(["link add c0 type veth peer name c1"], QUIET);
    // The last one: its nsid is the highest, the kernel's lookup by namespace walks every id before it.
    const last = ws[N - 1]!;
    await batch(["link add c0 type veth peer name c1"], last);
    const variants: [string, string | undefined][] = [["none", undefined], ["main: a socket per namespace", OLD], ["this: one ALL_NSID socket", NEW]];
    const res = new Map<string, { fds: number[]; quiet: number[]; watched: number[]; watcherCpu: number[]; quietShare: string[]; watchedShare: string[] }>();
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 ? [...variants].reverse() : variants;
      for (const [name, bin] of order) {
        const w = bin ? await startWatcher(bin) : undefined;
        const cpu0 = w ? cpuMs(w.pid) : 0;
        const quiet = await churn(QUIET);
        const watched = await churn(last);
        await sleep(300);
        const e = res.get(name) ?? { fds: [], quiet: [], watched: [], watcherCpu: [], quietShare: [], watchedShare: [] };
        e.fds.push(w ? readdirSync(`/proc/${w.pid}/fd`).length : 0);
        e.watcherCpu.push(w ? cpuMs(w.pid) - cpu0 : 0);
        e.quiet.push(quiet.ms);
        e.watched.push(watched.ms);
        e.quietShare.push(quiet.share);
        e.watchedShare.push(watched.share);
        res.set(name, e);
        await w?.stop();
        const shares = PERF ? `, % of samples in socket walk+nsid lookups ${quiet.share} / ${watched.share}` : "";
        console.log(`round ${r + 1} ${name}: ${round2(quiet.ms)} / ${round2(watched.ms)} ms${shares}, load ${loadavg()}`);
      }
    }
    console.log(`\nload average ${loadavg()} at end`);
    const none = res.get("none")!;
    console.log(`watcher | its descriptors | CPU ms of ${K} link changes in an unwatched namespace (median) | in a watched one | watcher CPU ms over both | % of samples in socket walk+nsid lookups, unwatched / watched (each round)`);
    for (const [name] of variants) {
      const e = res.get(name)!;
      console.log(`${name} | ${median(e.fds)} | ${round2(median(e.quiet))} (${round2(median(e.quiet) / median(none.quiet))}× none) | ${round2(median(e.watched))} (${round2(median(e.watched) / median(none.watched))}× none) | ${median(e.watcherCpu)} | ${e.quietShare.join(", ")} / ${e.watchedShare.join(", ")}`);
    }
  } finally {
    await run(["ip", "-batch", "-"], { input: ws.map((w) => `netns del ${w}`).join("\n") + "\n", timeoutMs: 600_000 });
    await run(["ip", "netns", "del", QUIET]);
    await run(["ip", "netns", "del", HOST]);
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
