// Which engine for the L7 proxy: requests/s and p99 of the same HTTP rule (GET / allowed, others
// 403) served by our Node proxy (src/l7/proxy-main.ts, records sent to a reader as pontond gets
// them) and by HAProxy (Debian's 2.6, config generated, one thread, each request logged to stdout
// as it would be for flow records), against direct to the backend; loopback in a throwaway network
// namespace, keep-alive and a new connection per request, alternated rounds, medians.
// HAProxy is not installed here: give its binary with HAPROXY=/path/to/haproxy (e.g. extracted
// with `apt-get download haproxy liblua5.3-0 libopentracing-c-wrapper0 libopentracing1` + dpkg -x,
// and LD_LIBRARY_PATH); without it only Node and direct are measured.
// Run: npx tsc -p tsconfig.json && HAPROXY=… node dist/bench/l7/engines.js [--quick]
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { sh } from "../../test/integration/harness";
import { summarize } from "../lib/stats";

const quick = process.argv.includes("--quick");
const SECONDS = quick ? 2 : 4;
const ROUNDS = quick ? 2 : 3;
const NS = `l7eng${process.pid}`;
const BACKEND = 18080, NODE_PORT = 15999, HAPROXY_PORT = 15998;
const HAPROXY_CFG = `global
  nbthread 1
  maxconn 4000
defaults
  mode http
  log global
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
  http-reuse always
frontend l7
  bind 127.0.0.1:${HAPROXY_PORT}
  log stdout format raw local0
  option httplog
  acl m0 method GET
  acl p0 path_reg ^(?:/)$
  http-request deny deny_status 403 content-type text/plain string "Access denied" unless m0 p0
  default_backend workload
backend workload
  server w 127.0.0.1:${BACKEND}
`;

function inNs(cmd: string, args: string[], stdio: "ignore" | "pipe" = "ignore"): ChildProcess {
  return spawn("ip", ["netns", "exec", NS, cmd, ...args], { stdio: ["ignore", stdio, "inherit"], env: process.env });
}

function ms(text: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(text);
  return m ? Number(m[1]) * (m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1) : NaN;
}

async function wrk(port: number, close: boolean): Promise<{ rps: number; p99ms: number }> {
  const r = await sh("ip", ["netns", "exec", NS, "wrk", "-t1", "-c10", `-d${SECONDS}s`, "--latency", ...(close ? ["-H", "Connection: close"] : []), `http://127.0.0.1:${port}/`], { timeoutMs: 60_000 });
  if (!/Requests\/sec/.test(r.stdout)) throw new Error(`wrk failed on port ${port}: ${r.stderr}${r.stdout}`);
  if (/Non-2xx/.test(r.stdout)) throw new Error(`non-2xx answers on port ${port}:\n${r.stdout}`);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? 0), p99ms: ms(/\s99%\s+(\S+)/.exec(r.stdout)?.[1] ?? "") };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "l7eng-"));
  const children: ChildProcess[] = [];
  await sh("ip", ["netns", "add", NS]);
  try {
    await sh("ip", ["-n", NS, "link", "set", "lo", "up"]);
    await sh("ip", ["netns", "exec", NS, "sysctl", "-qw", "net.ipv4.tcp_tw_reuse=1", "net.ipv4.ip_local_port_range=1024 65535"]);
    children.push(inNs(process.execPath, ["-e", `require("http").createServer((q,s)=>s.end("ok\\n")).listen(${BACKEND},"127.0.0.1")`]));
    const sock = path.join(dir, "proxy.sock");
    children.push(inNs(process.execPath, [path.join(__dirname, "..", "..", "src", "l7", "proxy-main.js"), sock]));
    await new Promise((r) => setTimeout(r, 1500));
    // Plays pontond: sends the listener, reads (and drops) the records.
    const control = net.connect(sock);
    control.on("data", () => undefined);
    control.write(`${JSON.stringify({ id: 1, op: "sync", listeners: [{ listen: NODE_PORT, ip: "127.0.0.1", port: BACKEND, workload: "bench/web", sources: [{ ranges: [[0, 2 ** 32 - 1]], http: [{ method: "GET", path: "/" }], rule: { policy: "cnp:bench/web", direction: "ingress", ruleIndex: 0 } }] }] })}\n`);
    const engines: Record<string, number> = { direct: BACKEND, node: NODE_PORT };
    if (process.env.HAPROXY) {
      const cfg = path.join(dir, "haproxy.cfg");
      writeFileSync(cfg, HAPROXY_CFG);
      const hap = inNs(process.env.HAPROXY, ["-f", cfg, "-db"], "pipe");
      hap.stdout!.on("data", () => undefined);
      children.push(hap);
      engines.haproxy = HAPROXY_PORT;
    }
    await new Promise((r) => setTimeout(r, 1000));
    const samples: Record<string, { rps: number; p99ms: number }[]> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, port] of Object.entries(engines)) {
        await wrk(port, false); // warm-up
        for (const load of ["keepAlive", "newConn"] as const) {
          const r = await wrk(port, load === "newConn");
          (samples[`${name}.${load}`] ??= []).push(r);
          console.log(JSON.stringify({ round, engine: name, load, rps: Math.round(r.rps), p99ms: r.p99ms }));
        }
      }
    }
    control.destroy();
    const out: Record<string, unknown> = { date: new Date().toISOString(), seconds: SECONDS, rounds: ROUNDS, connections: 10, load: (await sh("cat", ["/proc/loadavg"])).stdout.trim() };
    for (const [k, list] of Object.entries(samples)) out[k] = { rps: Math.round(summarize(list.map((s) => s.rps)).p50), p99ms: summarize(list.map((s) => s.p99ms)).p50 };
    console.log(JSON.stringify(out, null, 2));
    writeFileSync(path.join(__dirname, "..", "..", "..", "bench", "l7", "engines-last-run.json"), JSON.stringify(out, null, 2) + "\n");
  } finally {
    for (const c of children) if (c.pid) await sh("pkill", ["-9", "-P", String(c.pid)]).then(() => c.kill("SIGKILL"));
    await sh("ip", ["netns", "del", NS]);
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
