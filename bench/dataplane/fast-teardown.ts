// Ends a bench's pontond and everything it made in seconds, where teardown through the API takes
// longer than the run at 10,000 workloads: pontond and its helpers killed by PID, HAProxy (it
// outlives pontond by design, in the host namespace) likewise, then every namespace of the prefix
// deleted in one `ip -batch`.
import { readdirSync, readFileSync } from "node:fs";
import { TestHost, sh } from "../../test/integration/harness";

/** pontond's helpers: its descendants (nflog, watch, nftbatch, bgpd…) and what names its state dir (the port holder). */
export function helperPids(daemon: number, stateDir: string): number[] {
  const procs = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).flatMap((p) => {
    try {
      const ppid = Number(readFileSync(`/proc/${p}/stat`, "utf8").replace(/^.*\) /, "").split(" ")[1]);
      return [{ pid: Number(p), ppid, cmd: readFileSync(`/proc/${p}/cmdline`, "utf8") }];
    } catch {
      return [];
    }
  });
  const mine = new Set<number>([daemon]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) if (!mine.has(p.pid) && (mine.has(p.ppid) || p.cmd.includes(stateDir))) (mine.add(p.pid), (grew = true));
  }
  mine.delete(daemon);
  return [...mine];
}

const kill = (pid: number) => {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone already
  }
};

export async function fastTearDown(h: TestHost): Promise<void> {
  const pid = h.daemonPid;
  const helpers = pid ? helperPids(pid, h.stateDir) : [];
  await h.stopDaemon("SIGKILL");
  helpers.forEach(kill);
  for (const p of (await sh("ip", ["netns", "pids", h.hostNs])).stdout.split("\n").filter(Boolean)) kill(Number(p));
  h.client.close();
  const names = readdirSync("/run/netns").filter((n) => n.startsWith(`${h.prefix}-`));
  const r = await sh("ip", ["-force", "-batch", "-"], { input: names.map((n) => `netns del ${n}\n`).join(""), timeoutMs: 1_800_000 });
  if (r.code !== 0) console.error(r.stderr.slice(0, 2000));
  await h.tearDown();
}
