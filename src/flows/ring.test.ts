import { test } from "node:test";
import assert from "node:assert/strict";
import { FlowRing } from "./ring";
import type { FlowRecord } from "./record";

const rec = (seq: number, verdict: FlowRecord["verdict"] = "FORWARDED", ns = "x"): FlowRecord => ({
  seq, time: new Date(seq * 1000).toISOString(), verdict, ipVersion: 4, protocol: "tcp",
  source: { ip: "10.0.0.1", namespace: ns }, destination: { ip: "10.0.0.2", namespace: ns }, interfaces: {}, summary: "", policies: [],
  ...(verdict === "FORWARDED" ? {} : { dropReason: "POLICY_DENIED" as const }),
});

test("keeps the newest records, oldest first, and counts every record", () => {
  const ring = new FlowRing(3);
  for (let i = 1; i <= 5; i++) ring.push(rec(i, i % 2 ? "FORWARDED" : "DROPPED"), 0);
  assert.deepEqual(ring.records().map((r) => r.seq), [3, 4, 5]);
  assert.equal(ring.size, 3);
  assert.equal(ring.total, 5);
  assert.equal(ring.nextSeq(), 6);
  assert.deepEqual(ring.counters.byVerdict, { FORWARDED: 3, DROPPED: 2 });
  assert.deepEqual(ring.counters.byReason, { POLICY_DENIED: 2 });
  assert.deepEqual(ring.counters.byNamespace, { "x FORWARDED": 3, "x DROPPED": 2 });
});

test("rate is records per second over the last ten seconds", () => {
  const ring = new FlowRing(100);
  for (let i = 0; i < 20; i++) ring.push(rec(i + 1), 1_000_000 + i * 100);
  assert.equal(ring.rate(1_002_000), 2);
  assert.equal(ring.rate(1_020_000), 0);
});

test("subscribers see new records until they leave", () => {
  const ring = new FlowRing(2);
  const seen: number[] = [];
  const leave = ring.subscribe((r) => seen.push(r.seq));
  ring.push(rec(1));
  leave();
  ring.push(rec(2));
  assert.deepEqual(seen, [1]);
});

test("restored records of an earlier run are kept and numbered anew, neither counted nor announced", () => {
  const ring = new FlowRing(3);
  const heard: number[] = [];
  ring.subscribe((r) => heard.push(r.seq));
  ring.restore([rec(40), rec(41), rec(42), rec(43)]);
  assert.deepEqual(ring.records().map((r) => [r.seq, r.time]), [[1, rec(41).time], [2, rec(42).time], [3, rec(43).time]]);
  assert.deepEqual([ring.counters.byVerdict, heard], [{}, []]);
  ring.push(rec(ring.nextSeq()), 0);
  assert.deepEqual(ring.records().map((r) => r.seq), [2, 3, 4]);
  assert.deepEqual(heard, [4]);
});
