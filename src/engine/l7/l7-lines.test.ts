import { test } from "node:test";
import assert from "node:assert/strict";
import { parseHaproxyLog } from "../../l7/haproxy-log";
import type { L7Event } from "../../l7/l7-event";
import type { L7Listener } from "../../policy";
import { l7FlowRecord } from "../../flows/l7-record";
import type { FlowDirectory, FlowRecord } from "../../flows/record";
import { FlowRing } from "../../flows/ring";
import { L7LineBuilder, type L7Counts } from "./l7-lines";

const dir: FlowDirectory = {
  byIp: new Map([
    ["10.0.0.2", { ip: "10.0.0.2", workload: "deathstar", namespace: "empire" }],
    ["10.0.0.3", { ip: "10.0.0.3", workload: "tiefighter", namespace: "empire" }],
    ["10.0.0.4", { ip: "10.0.0.4", workload: "xwing", namespace: "alliance" }],
    ["fd00::2", { ip: "fd00::2", workload: "deathstar", namespace: "empire" }],
  ]),
  vips: new Map(), bridges: new Map(), userRules: new Map(), policy: undefined,
};
const rule = { policy: "cnp:empire/landing", direction: "ingress" as const, ruleIndex: 0 };
const egressRule = { policy: "cnp:empire/out", direction: "egress" as const, ruleIndex: 1 };
const listener = (ip: string, direction: "ingress" | "egress", r: typeof rule | typeof egressRule): L7Listener => ({ listen: 15000, ip, port: 80, direction, workload: "empire/x", sources: [{ cidrs: [], rule: r }] });
const bySection = new Map([
  ["l7_10.0.0.2:80", listener("10.0.0.2", "ingress", rule)],
  ["l7_fd00::2:80", listener("fd00::2", "ingress", rule)],
  ["l7e_10.0.0.3:80", listener("10.0.0.3", "egress", egressRule)],
]);

// Allowed, denied, a backend that failed, a Host header with escapes, IPv6 (mapped and not), egress,
// lines that are no requests, a gap in worker 4242's counter (4 to 7: 4, the bad request's number among them) and a second worker.
const LINES = [
  `4242 1 1796639074586 10.0.0.3 55290 l7_10.0.0.2:80 POST "/v1/request-landing" "{deathstar}" 200 12 0 ----`,
  `4242 2 1796639074590 ::ffff:10.0.0.4 55291 l7_10.0.0.2:80 PUT "/v1/exhaust-port" "" 403 0 - PR--`,
  `4242 3 1796639074600 10.0.0.3 55292 l7_10.0.0.2:80 GET "/a#22b?x=1" "{death#20star:80}" 503 7 0 SC--`,
  `4242 4 1796639074601 10.0.0.3 55293 l7_10.0.0.2:80 <BADREQ> "<BADREQ>" "" 400 0 - PR--`,
  `4242 8 1796639074602 fd00::3 55294 l7_fd00::2:80 GET "/v6" "{}" 200 3 0 ---- fd00::2 80`,
  `4243 1 1796639074603 10.0.0.3 55295 l7e_10.0.0.3:80 GET "/out" "{}" 200 1 0 ---- 10.0.0.4 80`,
  `4243 2 1796639074604 10.0.0.3 55296 l7_10.0.0.9:81 GET "/unknown-section" "{}" 200 1 0 ----`,
  "[NOTICE] not a request",
  `4242 9 1796639074605 10.0.0.3 55297 l7_10.0.0.2:80 - "-" "" -1 -1 - CR--`,
];

/** The way pontond made records before (a record per line as it came): the reference. */
function eager(lines: readonly string[], ring: FlowRing): void {
  for (const line of lines) {
    const r = parseHaproxyLog(line);
    if (!r) continue;
    const m = /^(l7e?)_(.+):(\d+)$/.exec(r.section);
    const [kind, guarded, port] = m ? [m[1]!, m[2]!, Number(m[3])] : ["", "", 0];
    const egress = kind === "l7e";
    const [dst, dport] = egress ? [r.to?.ip ?? "", r.to?.port ?? port] : [guarded, port];
    const ref = r.source !== undefined ? bySection.get(r.section)?.sources[r.source]?.rule : undefined;
    const e: L7Event = { ...r.event, dst, dport, direction: egress ? "egress" : "ingress", ...(ref ? { rule: ref } : {}) };
    ring.push(l7FlowRecord(e, dir, ring.nextSeq()), 0);
  }
}

const newCounts = (): L7Counts => ({ requests: {}, lost: 0, lastCounter: new Map() });

test("kept as lines, read as the same records and counted the same as records built as they came", () => {
  const before = new FlowRing(100);
  eager(LINES, before);
  const after = new FlowRing(100);
  const counts = newCounts();
  new L7LineBuilder(dir, bySection).push(LINES, after, counts);
  // Every request line is a record, the others none.
  assert.equal(after.total, 6);
  assert.deepEqual(after.records(), before.records());
  // The ring's counters (by verdict, reason, namespace of either end) are exact without a record.
  assert.deepEqual(after.counters, before.counters);
  assert.deepEqual(counts.requests, { "POST 200 FORWARDED": 1, "PUT 403 DROPPED": 1, "GET 503 FORWARDED": 1, "GET 200 FORWARDED": 3 });
  assert.equal(counts.lost, 4);
  assert.deepEqual([...counts.lastCounter], [[4242, 8], [4243, 2]]);
});

test("every request still reads as a record with method, URL, status, latency and verdict", () => {
  const ring = new FlowRing(100);
  new L7LineBuilder(dir, bySection).push(LINES, ring, newCounts());
  const got = ring.records().map((r) => [r.l7?.method, r.l7?.url, r.l7?.status, r.l7?.latencyMs, r.verdict, r.source.workload, r.destination.workload, r.direction]);
  assert.deepEqual(got, [
    ["POST", "/v1/request-landing", 200, 12, "FORWARDED", "tiefighter", "deathstar", "ingress"],
    ["PUT", "/v1/exhaust-port", 403, 0, "DROPPED", "xwing", "deathstar", "ingress"],
    ["GET", `/a"b?x=1`, 503, 7, "FORWARDED", "tiefighter", "deathstar", "ingress"],
    ["GET", "/v6", 200, 3, "FORWARDED", undefined, "deathstar", "ingress"],
    ["GET", "/out", 200, 1, "FORWARDED", "tiefighter", "xwing", "egress"],
    ["GET", "/unknown-section", 200, 1, "FORWARDED", "tiefighter", undefined, "ingress"],
  ]);
  assert.equal(ring.records()[2]!.l7?.host, "death star:80");
});

test("no record is built until read, unless a listener wants its decision (the policy log's filter)", () => {
  const ring = new FlowRing(100);
  let built = 0;
  const builder = new L7LineBuilder(dir, bySection);
  const record = builder.record.bind(builder);
  builder.record = (line, seq) => (built++, record(line, seq));
  const seen: FlowRecord[] = [];
  const wanted: string[] = [];
  // Wants only what `rule` allowed, as a policy logging allowed requests would.
  ring.subscribe((r) => seen.push(r), (d) => (wanted.push(d.verdict), d.rule?.policy === rule.policy));
  builder.push(LINES, ring, newCounts());
  assert.deepEqual(wanted, ["FORWARDED", "DROPPED", "FORWARDED", "FORWARDED", "FORWARDED", "FORWARDED"]);
  assert.deepEqual(seen.map((r) => r.l7?.url), ["/v1/request-landing", "/a\"b?x=1", "/v6"]);
  assert.equal(built, 3);
  ring.records();
  assert.equal(built, 9);
});

test("a line overwritten in the ring by a packet or another record is gone", () => {
  const ring = new FlowRing(2);
  new L7LineBuilder(dir, bySection).push(LINES, ring, newCounts());
  assert.deepEqual(ring.records().map((r) => [r.seq, r.l7?.url]), [[5, "/out"], [6, "/unknown-section"]]);
  ring.push({ ...ring.records()[0]!, seq: 7, l7: undefined }, 0);
  assert.deepEqual(ring.records().map((r) => [r.seq, r.l7?.url]), [[6, "/unknown-section"], [7, undefined]]);
});
