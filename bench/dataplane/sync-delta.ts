// The per-creation cost of two post-change passes, the full rebuild vs the delta kept per record
// (issue 20), in one process at N = 500 / 2,000 / 10,000 workloads on one routed network: the DNS
// views' workload records and client index (workloadRecords + viewIndex + SentViews.next vs
// DnsOwnIndex + SentViews.nextTouched) and the healer's inside wanted set (insideWanted vs
// InsideWantedIndex). Records are frozen and shared between lists, as the store hands them out.
// Usage: node dist/bench/dataplane/sync-delta.js [--rounds 20]
import { readFileSync } from "node:fs";
import type { Attachment, DesiredState, Network, Workload } from "../../src/model/types";
import { DnsOwnIndex } from "../../src/engine/dns/dns-own-index";
import { SentViews, type SharedGroups } from "../../src/engine/dns/dns-sent-views";
import { viewIndex, workloadRecords } from "../../src/engine/dns/dns-records";
import { InsideWantedIndex } from "../../src/engine/heal/inside-wanted-index";
import { insideWanted } from "../../src/engine/heal/inside-damage";
import { nowMs } from "../lib/proc";
import { round2 } from "../lib/traffic";

const ri = process.argv.indexOf("--rounds");
const ROUNDS = ri > 0 ? Number(process.argv[ri + 1]) : 20;
const net = { id: "n1", name: "n1", driver: "routed", subnet4: "10.80.0.0/16", gateway4: "10.80.0.1" } as Network;
const noShared: SharedGroups<object> = { list: [], records: () => [], fixed: () => true };
const id = (i: number) => `w${String(i).padStart(6, "0")}`;
const workload = (i: number) => Object.freeze({ id: id(i), name: `w${i}`, netnsMode: "owned", netns: `p-${i}`, state: "running" }) as Workload;
const attachment = (i: number) => Object.freeze({ workloadId: id(i), networkId: "n1", ifname: "eth0", hostIfname: `pr-${i}`, mac: "", index: 0, ip4: `10.${80 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}` }) as Attachment;

function measure(n: number): { dnsFull: number; dnsDelta: number; insideFull: number; insideDelta: number } {
  let workloads: readonly Workload[] = Array.from({ length: n }, (_, i) => workload(i));
  let attachments: readonly Attachment[] = Array.from({ length: n }, (_, i) => attachment(i));
  let state: DesiredState = { networks: [net], workloads, attachments, userRules: [] };
  const own = new DnsOwnIndex();
  const viaIndex = new SentViews<object>();
  const viaFull = new SentViews<object>();
  const inside = new InsideWantedIndex(() => true);
  own.update(state, "d");
  viaIndex.next(workloadRecords(state, "d"), noShared);
  viaFull.next(workloadRecords(state, "d"), noShared);
  inside.update(state);
  const t = { dnsFull: 0, dnsDelta: 0, insideFull: 0, insideDelta: 0 };
  for (let k = 0; k < ROUNDS; k++) {
    workloads = [...workloads, workload(n + k)];
    attachments = [...attachments, attachment(n + k)];
    state = { networks: [net], workloads, attachments, userRules: [] };
    let t0 = nowMs();
    const step = own.update(state, "d");
    viaIndex.nextTouched(own, step.touched, noShared);
    t.dnsDelta += nowMs() - t0;
    t0 = nowMs();
    // The sync before: the views whole, the client index, the sent-view diff.
    viaFull.next(workloadRecords(state, "d"), noShared);
    viewIndex(state);
    t.dnsFull += nowMs() - t0;
    t0 = nowMs();
    inside.update(state);
    t.insideDelta += nowMs() - t0;
    t0 = nowMs();
    insideWanted(state, () => true);
    t.insideFull += nowMs() - t0;
  }
  return { dnsFull: t.dnsFull / ROUNDS, dnsDelta: t.dnsDelta / ROUNDS, insideFull: t.insideFull / ROUNDS, insideDelta: t.insideDelta / ROUNDS };
}

console.log(`load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}, ${ROUNDS} creations per N`);
console.log("N | DNS full ms | DNS delta ms | inside wanted full ms | inside wanted delta ms");
const rows = [500, 2000, 10000].map((n) => [n, measure(n)] as const);
for (const [n, m] of rows) console.log(`${n} | ${round2(m.dnsFull)} | ${round2(m.dnsDelta)} | ${round2(m.insideFull)} | ${round2(m.insideDelta)}`);
const [a, , c] = rows;
console.log(`10,000 ÷ 500: DNS full ${round2(c![1].dnsFull / a![1].dnsFull)}, delta ${round2(c![1].dnsDelta / a![1].dnsDelta)}; inside full ${round2(c![1].insideFull / a![1].insideFull)}, delta ${round2(c![1].insideDelta / a![1].insideDelta)}`);
