import { test } from "node:test";
import assert from "node:assert/strict";
import { flowFilter } from "./filter";
import { l7FlowRecord } from "./l7-record";
import { flowLine } from "./format";
import type { FlowDirectory, FlowRecord } from "./record";
import type { L7Event } from "../l7/l7-event";

const dir: FlowDirectory = {
  byIp: new Map([
    ["10.0.0.2", { ip: "10.0.0.2", workload: "deathstar", namespace: "default" }],
    ["10.0.0.3", { ip: "10.0.0.3", workload: "tiefighter", namespace: "default" }],
  ]),
  vips: new Map(), bridges: new Map(), userRules: new Map(), policy: undefined,
};
const event = (e: Partial<L7Event>): L7Event => ({ t: Date.parse("2026-01-01T00:00:00Z"), src: "10.0.0.3", sport: 40000, dst: "10.0.0.2", dport: 80, method: "POST", url: "/v1/request-landing", status: 200, latencyMs: 1.23456, verdict: "FORWARDED", direction: "ingress", rule: { policy: "cnp:default/rule1", direction: "ingress", ruleIndex: 0 }, ...e });

test("a proxy event becomes a flow record with its HTTP part, named ends and the deciding rule", () => {
  const r = l7FlowRecord(event({}), dir, 7);
  assert.equal(r.seq, 7);
  assert.deepEqual([r.verdict, r.source.workload, r.destination.workload, r.destination.port, r.policies.join()], ["FORWARDED", "tiefighter", "deathstar", 80, "cnp:default/rule1"]);
  assert.deepEqual(r.l7, { type: "http", method: "POST", url: "/v1/request-landing", status: 200, latencyMs: 1.235 });
  const d = l7FlowRecord(event({ method: "PUT", url: "/v1/exhaust-port", status: 403, verdict: "DROPPED", rule: undefined }), dir, 8);
  assert.deepEqual([d.verdict, d.dropReason], ["DROPPED", "POLICY_DENIED"]);
  assert.equal(flowLine(d), "2026-01-01 00:00:00.000  default/tiefighter (10.0.0.3:40000) -> default/deathstar (10.0.0.2:80)  http PUT /v1/exhaust-port 403 1.235ms  DROPPED (POLICY_DENIED)  HTTP PUT /v1/exhaust-port: no HTTP rule allows it (403 Access denied)");
});

test("an egress request and an IPv6 one: the record says so", () => {
  const e = l7FlowRecord(event({ direction: "egress" }), dir, 9);
  assert.deepEqual([e.direction, e.ipVersion], ["egress", 4]);
  assert.equal(l7FlowRecord(event({ src: "fd00::3", dst: "fd00::2" }), dir, 10).ipVersion, 6);
});

test("--type, --http-method, --http-path and --http-status select L7 records; bad values are refused", () => {
  const records: FlowRecord[] = [
    l7FlowRecord(event({}), dir, 1),
    l7FlowRecord(event({ method: "PUT", url: "/v1/exhaust-port?x=1", status: 403, verdict: "DROPPED" }), dir, 2),
    l7FlowRecord(event({ method: "GET", url: "/health", status: 503, verdict: "ERROR" }), dir, 3),
    { ...l7FlowRecord(event({}), dir, 4), l7: undefined },
  ];
  const seqs = (q: Parameters<typeof flowFilter>[0]) => records.filter(flowFilter(q)).map((r) => r.seq);
  assert.deepEqual(seqs({ type: "l7" }), [1, 2, 3]);
  assert.deepEqual(seqs({ type: "L3_L4" }), [4]);
  assert.deepEqual(seqs({ httpMethod: "put" }), [2]);
  assert.deepEqual(seqs({ httpPath: "^/v1/exhaust-port$" }), [2]);
  assert.deepEqual(seqs({ httpStatus: "403" }), [2]);
  assert.deepEqual(seqs({ httpStatus: "4+" }), [2]);
  assert.deepEqual(seqs({ httpStatus: "5xx" }), [3]);
  assert.deepEqual(seqs({ httpStatus: "2+", httpMethod: "POST" }), [1]);
  for (const q of [{ type: "l8" }, { httpStatus: "40" }, { httpPath: "(" }]) assert.throws(() => flowFilter(q), /INVALID_ARGUMENT|unknown flow type|neither a status|not a regular expression/);
});
