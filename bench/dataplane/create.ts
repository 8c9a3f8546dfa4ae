// Creation time per workload as one network fills (issue 20): the median time of one
// `POST /v1/workloads` over each window of 50 around the checkpoints (default 100, 500, 1,000).
// `--profile DIR` starts pontond with `--cpu-prof` into DIR (the profile is written when it stops).
// `--driver routed` uses a routed /16 (a bridge stops at 1,023 ports), so N can pass 1,023.
// `--prefix P` names the namespaces P-… (a run by hand); `--bin DIR` runs another build's pontond
// (e.g. /work/main/bin) for an A/B of two builds in one run.
// Usage: node dist/bench/dataplane/create.js [--n 1000] [--driver routed] [--profile /tmp/prof] [--prefix fl] [--bin DIR]
import { readFileSync } from "node:fs";
import { TestHost } from "../../test/integration/harness";
import { cpuMs, nowMs } from "../lib/proc";
import { median, round2 } from "../lib/traffic";

const argOf = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const N = Number(argOf("n") ?? 1000);
const PROFILE = argOf("profile");
const DRIVER = argOf("driver");
const PREFIX = argOf("prefix");
const BIN_DIR = argOf("bin");
const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

async function main(): Promise<void> {
  const h = new TestHost("hwcreate", PREFIX);
  if (BIN_DIR) h.daemonBin = BIN_DIR;
  if (PROFILE) h.daemonNodeArgs = ["--cpu-prof", `--cpu-prof-dir=${PROFILE}`];
  await h.setUp();
  console.log(`N=${N}, load average ${loadavg()} at start`);
  try {
    if (DRIVER) await h.pontonOk("network", "create", "big", "--driver", DRIVER, "--subnet", "10.80.0.0/16");
    else await h.pontonOk("network", "create", "big", "--subnet", "10.81.0.0/20");
    const ms: number[] = [];
    const cpu: number[] = [];
    const pid = h.daemonPid!;
    let cpu0 = cpuMs(pid);
    for (let i = 0; i < N; i++) {
      const t0 = nowMs();
      await h.client.request("POST", "/v1/workloads", { name: `w${i}`, networks: ["big"] });
      ms.push(nowMs() - t0);
      if ((i + 1) % 50 === 0) {
        cpu.push((cpuMs(pid) - cpu0) / 50);
        cpu0 = cpuMs(pid);
      }
      if ((i + 1) % 100 === 0) console.log(`${i + 1} workloads: median of the last 50 ${round2(median(ms.slice(-50)))} ms, pontond CPU ${round2(cpu.at(-1)!)} ms each, load ${loadavg()}`);
    }
    const at = [100, 500, 1000, 2000, 4000, N].filter((c, i, all) => c <= N && all.indexOf(c) === i);
    const at500 = cpu[500 / 50 - 1];
    if (N >= 2000 && at500) console.log(`CPU per creation at 2,000 / at 500: ${round2(cpu[2000 / 50 - 1] / at500)}`);
    console.log(`\nload average ${loadavg()} at end`);
    console.log("workloads | median ms of the 50 creations up to it | pontond CPU ms per creation over them");
    for (const c of at) console.log(`${c} | ${round2(median(ms.slice(Math.max(0, c - 50), c)))} | ${round2(cpu[c / 50 - 1] ?? NaN)}`);
  } finally {
    // SIGTERM first: a profiled pontond writes its profile on a clean exit.
    await h.stopDaemon("SIGTERM");
    await h.tearDown();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
