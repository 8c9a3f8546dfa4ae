// Traffic generators shared by the data-plane benches, run from a client namespace: iperf3 (one TCP
// stream; 64-byte UDP packet rate, as the anchors measured it) and wrk (one new connection per request).
import type { Result } from "../../test/integration/harness";

/** Runs a program in the client's namespace (e.g. `(c, a, t) => host.inWorkload("cli", c, a, t)`). */
export type Runner = (cmd: string, args: string[], timeoutMs?: number) => Promise<Result>;

/** A server workload's command: `iperf3 -s` in the background and an HTTP "ok" server on :80. */
export const serverScript = (node: string) => `iperf3 -s & exec ${node} -e 'require("http").createServer((q,s)=>s.end("ok\\n")).listen(80)'`;

/**
 * For the client's own namespace before wrk: ~10,000 new connections a second leave tens of thousands
 * of TIME_WAIT sockets (60 s), and without reuse the client's connect() soon spends its time looking
 * for a free port (`__inet_hash_connect`): ~500 conn/s whatever is being measured.
 */
export async function reuseTimeWait(run: Runner): Promise<void> {
  await run("sysctl", ["-qw", "net.ipv4.tcp_tw_reuse=1", "net.ipv4.ip_local_port_range=1024 65535"]);
}

export async function wrk(run: Runner, url: string, seconds: number): Promise<{ rps: number; latencyMs: number }> {
  const r = await run("wrk", ["-t1", "-c10", `-d${seconds}s`, "-H", "Connection: close", "--latency", url], 60_000);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? 0);
  const lat = /Latency\s+([\d.]+)(us|ms|s)/.exec(r.stdout);
  const latencyMs = lat ? Number(lat[1]) * (lat[2] === "us" ? 0.001 : lat[2] === "s" ? 1000 : 1) : NaN;
  return { rps, latencyMs };
}

interface IperfJson {
  end: {
    sum_received?: { bits_per_second: number };
    sum?: { packets: number; lost_packets: number; seconds: number };
    cpu_utilization_percent?: { host_total: number };
  };
}

async function iperf(run: Runner, args: string[]): Promise<IperfJson | undefined> {
  const r = await run("iperf3", [...args, "-J"], 60_000);
  try {
    return JSON.parse(r.stdout) as IperfJson;
  } catch {
    return undefined;
  }
}

/** One TCP stream, Gbit/s received. */
export async function iperfTcp(run: Runner, addr: string, seconds: number): Promise<number> {
  const j = await iperf(run, ["-c", addr, "-t", String(seconds)]);
  return (j?.end.sum_received?.bits_per_second ?? NaN) / 1e9;
}

/** 64-byte UDP datagrams as fast as the sender goes: thousands of packets per second received. */
export async function iperfUdp64(run: Runner, addr: string, seconds: number): Promise<number> {
  return (await iperfUdp64Cost(run, addr, seconds)).kpps;
}

/**
 * The same, with the sender's CPU time per packet sent (µs). A veth transmit runs the receiving
 * side's softirq (bridge, netfilter) in the sender's own context, and this kernel charges softirq
 * time to the task it interrupts (no CONFIG_IRQ_TIME_ACCOUNTING): so this is the path's work per
 * packet, which a busy machine slows down far less than it cuts the rate.
 */
export async function iperfUdp64Cost(run: Runner, addr: string, seconds: number): Promise<{ kpps: number; usPerPacket: number }> {
  const end = (await iperf(run, ["-c", addr, "-u", "-b", "0", "-l", "64", "-t", String(seconds)]))?.end;
  const s = end?.sum;
  if (!s) return { kpps: NaN, usPerPacket: NaN };
  const cpu = end.cpu_utilization_percent?.host_total ?? NaN;
  return { kpps: (s.packets - s.lost_packets) / s.seconds / 1000, usPerPacket: ((cpu / 100) * s.seconds * 1e6) / s.packets };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const round2 = (x: number) => Math.round(x * 100) / 100;
