// The healer's and the L7 proxy's full link dumps while one routed network fills (issue 20): two
// pontonds at once, another build's (`--base`, e.g. /work/main/bin) and this one's, creations
// alternated between them so that both share the machine's load. Per window: CPU per creation of
// pontond and every process under it (the spawner's `ip` children included, once reaped), and the
// `ip` calls that dumped every host link (`link show` or `addr show` without `dev`), counted by a
// logging `ip` wrapper first in pontond's PATH (it adds a `sh` per `ip` call to both builds alike).
// `--http`: a workload guarded by a CiliumNetworkPolicy HTTP rule first (HAProxy listens for it),
// whose peers none of the new workloads match.
// Usage: node dist/bench/dataplane/heal-dumps.js [--n 1000] [--base /work/main/bin] [--prefix he] [--until 20:40] [--http]
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { TestHost, sh } from "../../test/integration/harness";
import { nowMs } from "../lib/proc";
import { median, round2 } from "../lib/traffic";
import { fastTearDown } from "./fast-teardown";

const argOf = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const N = Number(argOf("n") ?? 1000);
const BASE = argOf("base") ?? "/work/main/bin";
const PREFIX = argOf("prefix") ?? "he";
const UNTIL = argOf("until");
const HTTP = process.argv.includes("--http");
const WINDOW = 100;
const HTTP_POLICY = `apiVersion: "cilium.io/v2"
kind: CiliumNetworkPolicy
metadata:
  name: guard
spec:
  endpointSelector:
    matchLabels:
      class: web
  ingress:
    - fromEndpoints:
        - matchLabels:
            org: empire
      toPorts:
        - ports:
            - port: "80"
              protocol: TCP
          rules:
            http:
              - method: "GET"
                path: "/"
`;
const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const pastDeadline = () => {
  if (!UNTIL) return false;
  const [hh, mm] = UNTIL.split(":").map(Number);
  const d = new Date();
  return d.getUTCHours() * 60 + d.getUTCMinutes() >= hh! * 60 + mm!;
};

/** utime+stime+cutime+cstime in ms: a reaped child's time moves into its parent's, so the tree's sum is continuous. */
function treeCpuMs(root: number): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const d of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const s = readFileSync(`/proc/${d}/stat`, "utf8");
      const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
      stats.set(Number(d), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
    } catch {
      // gone
    }
  }
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, s] of stats) if (!tree.has(pid) && tree.has(s.ppid)) (tree.add(pid), (grew = true));
  }
  return ([...tree].reduce((sum, p) => sum + (stats.get(p)?.ticks ?? 0), 0) * 1000) / 100;
}

interface Side {
  name: string;
  h: TestHost;
  log: string;
  ms: number[];
  cpu0: number;
  dumps0: { link: number; addr: number };
}

function dumps(log: string): { link: number; addr: number } {
  let text = "";
  try {
    text = readFileSync(log, "utf8");
  } catch {
    // none yet
  }
  // Host-side dumps only: `ip ... link show` / `addr show` naming no link and no namespace.
  const lines = text.split("\n").filter((l) => !l.startsWith("-n "));
  return { link: lines.filter((l) => /\blink show$/.test(l)).length, addr: lines.filter((l) => /\baddr show$/.test(l)).length };
}

async function side(name: string, prefix: string, bin: string | undefined, wrapDir: string): Promise<Side> {
  const h = new TestHost(name, prefix);
  if (bin) h.daemonBin = bin;
  const log = path.join(wrapDir, `${prefix}.log`);
  const dir = path.join(wrapDir, prefix);
  await sh("mkdir", ["-p", dir]);
  writeFileSync(path.join(dir, "ip"), `#!/bin/sh\necho "$*" >> ${log}\nexec /usr/sbin/ip "$@"\n`);
  chmodSync(path.join(dir, "ip"), 0o755);
  h.daemonEnv = { PATH: `${dir}:${process.env.PATH}` };
  await h.setUp();
  await h.pontonOk("network", "create", "big", "--driver", "routed", "--subnet", "10.80.0.0/16");
  if (HTTP) {
    await h.pontonOk("run", "--name", "web", "--network", "big", "--label", "class=web");
    writeFileSync(path.join(h.dir, "guard.yaml"), HTTP_POLICY);
    await h.pontonOk("policy", "apply", "-f", path.join(h.dir, "guard.yaml"));
  }
  return { name, h, log, ms: [], cpu0: treeCpuMs(h.daemonPid!), dumps0: dumps(log) };
}

async function main(): Promise<void> {
  const wrapDir = mkdtempSync(path.join(os.tmpdir(), `${PREFIX}-wrap-`));
  const sides: Side[] = [];
  try {
    sides.push(await side("base", `${PREFIX}a`, BASE, wrapDir), await side("this", `${PREFIX}b`, undefined, wrapDir));
    console.log(`N=${N}${HTTP ? ", an HTTP rule in force" : ""}, base ${BASE} vs this build, alternated; load average ${loadavg()} at start`);
    console.log("workloads | build | median ms | CPU ms per creation (pontond tree) | full link dumps | full addr dumps | load");
    for (let i = 0; i < N && !pastDeadline(); i++) {
      for (const s of i % 2 ? [...sides].reverse() : sides) {
        const t0 = nowMs();
        await s.h.client.request("POST", "/v1/workloads", { name: `w${i}`, networks: ["big"] });
        s.ms.push(nowMs() - t0);
      }
      if ((i + 1) % WINDOW !== 0) continue;
      // The last creations' events reach the healer after its debounce.
      await new Promise((r) => setTimeout(r, 200));
      for (const s of sides) {
        const cpu = treeCpuMs(s.h.daemonPid!);
        const d = dumps(s.log);
        console.log(`${i + 1} | ${s.name} | ${round2(median(s.ms.slice(-WINDOW)))} | ${round2((cpu - s.cpu0) / WINDOW)} | ${d.link - s.dumps0.link} | ${d.addr - s.dumps0.addr} | ${loadavg()}`);
        s.cpu0 = treeCpuMs(s.h.daemonPid!);
        s.dumps0 = dumps(s.log);
      }
    }
  } finally {
    for (const s of sides) await fastTearDown(s.h);
    rmSync(wrapDir, { recursive: true, force: true });
  }
}


main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
