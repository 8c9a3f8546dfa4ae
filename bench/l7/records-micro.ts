// CPU per HAProxy request line inside one process: the line kept raw and counted (what pontond
// does as lines come) against a record built per line (what it did before), alternated in rounds;
// plus the cost of reading the kept lines back as records (observe / the flow API).
// Run: npx tsc -p tsconfig.json && node dist/bench/l7/records-micro.js [--lines 100000] [--rounds 5]
import { readFileSync } from "node:fs";
import { parseHaproxyLog } from "../../src/l7/haproxy-log";
import type { L7Listener } from "../../src/policy";
import { l7FlowRecord } from "../../src/flows/l7-record";
import type { FlowDirectory } from "../../src/flows/record";
import { FlowRing } from "../../src/flows/ring";
import { L7LineBuilder, type L7Counts } from "../../src/engine/l7/l7-lines";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg("lines", 100_000);
const ROUNDS = arg("rounds", 5);

const byIp = new Map(Array.from({ length: 200 }, (_, i) => [`10.0.${i >> 8}.${i & 255}`, { ip: `10.0.${i >> 8}.${i & 255}`, workload: `w${i}`, namespace: `ns${i % 10}`, labels: { app: `a${i}` }, network: "bench" }]));
const dir: FlowDirectory = { byIp, vips: new Map(), bridges: new Map(), userRules: new Map(), policy: undefined };
const rule = { policy: "cnp:ns0/landing", direction: "ingress" as const, ruleIndex: 0 };
const bySection = new Map<string, L7Listener>([["l7_10.0.0.2:80", { listen: 15000, ip: "10.0.0.2", port: 80, direction: "ingress", workload: "ns2/w2", sources: [{ cidrs: [], rule }] }]]);
const lines = Array.from({ length: N }, (_, i) => `4242 ${i + 1} ${1796639074586 + i} 10.0.0.${3 + (i % 150)} ${10000 + (i % 50000)} l7_10.0.0.2:80 ${i % 7 ? "POST" : "PUT"} "/v1/request-landing?id=${i}" "{deathstar}" ${i % 7 ? 200 : 403} ${i % 13} ${i % 7 ? 0 : "-"} ${i % 7 ? "----" : "PR--"}`);

function eager(ring: FlowRing, counts: L7Counts): void {
  for (const line of lines) {
    const r = parseHaproxyLog(line)!;
    const last = counts.lastCounter.get(r.pid);
    if (last !== undefined && r.counter > last + 1) counts.lost += r.counter - last - 1;
    counts.lastCounter.set(r.pid, r.counter);
    const ref = r.source !== undefined ? bySection.get(r.section)?.sources[r.source]?.rule : undefined;
    const key = `${r.event.method} ${r.event.status} ${r.event.verdict === "DROPPED" ? "DROPPED" : "FORWARDED"}`;
    counts.requests[key] = (counts.requests[key] ?? 0) + 1;
    ring.push(l7FlowRecord({ ...r.event, dst: "10.0.0.2", dport: 80, direction: "ingress", ...(ref ? { rule: ref } : {}) }, dir, ring.nextSeq()));
  }
}

function lazy(ring: FlowRing, counts: L7Counts): void {
  // pontond makes one builder per batch (a read every 20 ms): one per 1,000 lines here.
  for (let i = 0; i < lines.length; i += 1000) new L7LineBuilder(dir, bySection).push(lines.slice(i, i + 1000), ring, counts);
}

const cpuUs = (f: () => void) => {
  const a = process.cpuUsage();
  f();
  const b = process.cpuUsage(a);
  return b.user + b.system;
};

const results: Record<string, number[]> = { eager: [], lazy: [], read: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, f] of round % 2 ? ([["lazy", lazy], ["eager", eager]] as const) : ([["eager", eager], ["lazy", lazy]] as const)) {
    const ring = new FlowRing(10_000);
    const counts: L7Counts = { requests: {}, lost: 0, lastCounter: new Map() };
    results[name]!.push(cpuUs(() => f(ring, counts)) / N);
    if (name === "lazy") results.read!.push(cpuUs(() => ring.records()) / ring.size);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const r2 = (x: number) => Math.round(x * 100) / 100;
console.log(JSON.stringify({ date: new Date().toISOString(), lines: N, rounds: ROUNDS, load: readFileSync("/proc/loadavg", "utf8").trim(), usPerLine: { eager: r2(median(results.eager!)), lazy: r2(median(results.lazy!)), readPerRecord: r2(median(results.read!)) }, each: results }, null, 2));
