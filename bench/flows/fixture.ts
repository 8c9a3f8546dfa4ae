// What both flow benches share: a throwaway host with a web server and a client workload on one
// network, a NetworkPolicy admitting client → web (so each record carries the admitting rule's id),
// wrk driving new connections, and pontond's / ponton-nflog's CPU and memory read from /proc.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost } from "../../test/integration/harness";

const SERVER = `require("http").createServer((q,s)=>s.end("ok\\n")).listen(80)`;
const POLICY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-client, namespace: default}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {matchLabels: {app: client}}}], ports: [{port: 80}]}]
`;

/** Sets up the host (prefix "hf") and returns the web workload's address. */
export async function flowBenchHost(): Promise<{ h: TestHost; addr: string }> {
  const h = await new TestHost("hf").setUp();
  await h.pontonOk("network", "create", "bench", "--subnet", "10.77.0.0/24");
  const web = JSON.parse(await h.pontonOk("run", "--name", "web", "--network", "bench", "--label", "app=web", "-o", "json", "--", process.execPath, "-e", SERVER)) as { networks: { ip4: string }[] };
  await h.pontonOk("run", "--name", "cli", "--network", "bench", "--label", "app=client");
  // Tens of thousands of short connections per run: without reuse the client runs out of
  // ephemeral ports held in TIME_WAIT and the rate collapses (a bench artefact, not the engine).
  await h.inWorkload("cli", "sysctl", ["-qw", "net.ipv4.tcp_tw_reuse=1", "net.ipv4.ip_local_port_range=1024 65535"]);
  const file = path.join(h.dir, "policy.yaml");
  writeFileSync(file, POLICY);
  await h.pontonOk("policy", "apply", "-f", file);
  await new Promise((r) => setTimeout(r, 500));
  return { h, addr: web.networks[0]!.ip4 };
}

/** New connections per second over `seconds` (wrk, `Connection: close`). */
export async function wrk(h: TestHost, addr: string, seconds: number, threads = 1, conns = 10): Promise<number> {
  const r = await h.inWorkload("cli", "wrk", [`-t${threads}`, `-c${conns}`, `-d${seconds}s`, "-H", "Connection: close", `http://${addr}/`], (seconds + 60) * 1000);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? 0);
}

const TICK_S = 0.01; // USER_HZ is 100 on Linux

/** CPU seconds a process has used (user + system), 0 when it is gone. */
export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_S;
  } catch {
    return 0;
  }
}

/** Resident memory of a process, MiB. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : 0;
}

/** pontond's PID (the daemon the harness started) and its ponton-nflog child's. */
export function daemonPids(h: TestHost): { pontond: number; nflog: number | undefined } {
  const pontond = (h as unknown as { daemon: { pid: number } }).daemon.pid;
  let nflog: number | undefined;
  for (const task of readdirSync(`/proc/${pontond}/task`)) {
    for (const child of readFileSync(`/proc/${pontond}/task/${task}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) {
      if (readFileSync(`/proc/${child}/comm`, "utf8").trim() === "ponton-nflog") nflog = Number(child);
    }
  }
  return { pontond, nflog };
}

export interface FlowStatus {
  recorded: number;
  lostBatches?: number;
  lost?: { total: number };
}

export const lostOf = (s: FlowStatus) => s.lost?.total ?? s.lostBatches ?? 0;
