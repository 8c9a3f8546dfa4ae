// The L7 benches' world: in a throwaway host, one bridge with a Node "ok" server (app=web) and a
// wrk client (app=client), one CiliumNetworkPolicy with or without `rules.http`, and wrk runs
// with the CPU each process spent on them.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type TestHost } from "../../test/integration/harness";

/** The Node "ok" server every L7 bench serves. */
export const SERVER = `require("http").createServer((q,s)=>s.end("ok\\n")).listen(80)`;
/** app=client may reach app=web on 80, with or without one HTTP rule (GET /). */
export const policy = (http: boolean) => `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: web, namespace: default}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: client}}]
    toPorts:
    - ports: [{port: "80", protocol: TCP}]
${http ? `      rules: {http: [{method: GET, path: "/"}]}\n` : ""}`;

/** Where CPU goes per request: pontond, HAProxy's workers, the web workload's processes, wrk. */
export type Subject = "pontond" | "haproxy" | "server" | "wrk";

export interface WrkResult {
  rps: number;
  p99ms: number;
  /** CPU µs per request of each subject over the run. */
  cpuUs: Record<Subject, number>;
}

function ms(text: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(text);
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1);
}

const TICK_US = 10_000; // USER_HZ = 100

/** utime + stime of a process (all its threads), in clock ticks; 0 when it is gone. */
export function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/** HAProxy's workers: the master's children. */
export function haproxyWorkers(master: number): number[] {
  try {
    return readFileSync(`/proc/${master}/task/${master}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export async function benchWorld(h: TestHost) {
  await h.pontonOk("network", "create", "bench", "--subnet", "10.78.0.0/24");
  const web = JSON.parse(await h.pontonOk("run", "--name", "web", "--network", "bench", "--label", "app=web", "-o", "json", "--", process.execPath, "-e", SERVER)) as { networks: { ip4: string }[] };
  await h.pontonOk("run", "--name", "cli", "--network", "bench", "--label", "app=client");
  await h.inWorkload("cli", "sysctl", ["-qw", "net.ipv4.tcp_tw_reuse=1", "net.ipv4.ip_local_port_range=1024 65535"]);
  const addr = web.networks[0]!.ip4;
  const files = { l4: path.join(h.dir, "l4.yaml"), l7: path.join(h.dir, "l7.yaml") };
  writeFileSync(files.l4, policy(false));
  writeFileSync(files.l7, policy(true));
  const pidFile = path.join(h.stateDir, "l7", "haproxy.pid");
  const serverPids = async () => (await h.inHost("ip", ["netns", "pids", h.ns("web")])).stdout.split("\n").filter(Boolean).map(Number);
  const haproxyPids = () => {
    try {
      return haproxyWorkers(Number(readFileSync(pidFile, "utf8")));
    } catch {
      return [];
    }
  };

  /** wrk for `seconds`; its own CPU from the shell's `times` (children's user and system). */
  async function wrk(close: boolean, seconds: number): Promise<{ rps: number; p99ms: number; requests: number; wrkUs: number }> {
    const cmd = `wrk -t1 -c10 -d${seconds}s --latency ${close ? "-H 'Connection: close' " : ""}http://${addr}/; times`;
    const r = await h.inWorkload("cli", "bash", ["-c", cmd], 60_000);
    const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout);
    if (non2xx) throw new Error(`wrk saw ${non2xx[1]} non-2xx answers: the policy or the proxy refused requests\n${r.stdout}`);
    const t = r.stdout.trim().split("\n").at(-1)!.split(/\s+/).map((x) => {
      const m = /(\d+)m([\d.]+)s/.exec(x);
      return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
    });
    return {
      rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? 0),
      p99ms: ms(/\s99%\s+(\S+)/.exec(r.stdout)?.[1] ?? ""),
      requests: Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? 0),
      wrkUs: (t[0]! + t[1]!) * 1e6,
    };
  }

  return {
    addr,
    wrk,
    /** The policy with (HTTP rules: HAProxy) or without its `rules.http`; conntrack flushed. */
    async apply(http: boolean): Promise<void> {
      await h.pontonOk("policy", "apply", "-f", http ? files.l7 : files.l4);
      await h.inHost("conntrack", ["-F"]);
    },
    /** One measured run with the CPU per request of each subject. */
    async measured(close: boolean, seconds = 4): Promise<WrkResult> {
      const pids: Record<Exclude<Subject, "wrk">, number[]> = { pontond: [h.daemonPid!], haproxy: haproxyPids(), server: await serverPids() };
      const ticks = () => Object.fromEntries(Object.entries(pids).map(([k, ps]) => [k, ps.reduce((a, p) => a + cpuTicks(p), 0)])) as Record<Exclude<Subject, "wrk">, number>;
      const before = ticks();
      const r = await wrk(close, seconds);
      const after = ticks();
      const per = (ticks: number) => Math.round(((ticks * TICK_US) / Math.max(1, r.requests)) * 10) / 10;
      return {
        rps: r.rps,
        p99ms: r.p99ms,
        cpuUs: { pontond: per(after.pontond - before.pontond), haproxy: per(after.haproxy - before.haproxy), server: per(after.server - before.server), wrk: Math.round((r.wrkUs / Math.max(1, r.requests)) * 10) / 10 },
      };
    },
  };
}
