// New TCP connections in sequence from inside a workload, each answered with its backend's name:
// what the distribution tests of services and replicas count.
import type { Result } from "./harness";

export type Run = (cmd: string, args: string[], timeoutMs?: number) => Promise<Result>;

/** ip:port as socat writes it ([v6]:port). */
export const hostPort = (ip: string, port: number) => (ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`);

/**
 * `n` new TCP connections to ip:port, one line each: the reply, ERR when the connection failed,
 * EMPTY when it closed without one (a loaded machine, -T2 expiring). No line is ever dropped, so
 * flow i of one run lines up with flow i of another. With `sourcePort`, connection i binds
 * sourcePort + i: the same flows again.
 */
export async function replies(run: Run, ip: string, port: number, n: number, sourcePort?: number): Promise<string[]> {
  const src = sourcePort === undefined ? "" : `,sourceport=$((${sourcePort} + i)),reuseaddr`;
  const script = `i=0; while [ $i -lt ${n} ]; do r=$(socat -T2 -u TCP:${hostPort(ip, port)}${src} - 2>/dev/null) || r=ERR; echo "\${r:-EMPTY}"; i=$((i+1)); done`;
  return (await run("sh", ["-c", script], 120_000)).stdout.split("\n").filter(Boolean);
}

export const tally = (xs: string[]) => xs.reduce<Record<string, number>>((m, x) => ({ ...m, [x]: (m[x] ?? 0) + 1 }), {});
