import { test } from "node:test";
import assert from "node:assert/strict";
import { EngineError } from "../errors";
import { flowFilter, sinceMs } from "./filter";
import type { FlowRecord } from "./record";

const r = (over: Partial<FlowRecord> = {}): FlowRecord => ({
  seq: 1, time: "2026-01-01T00:00:10.000Z", verdict: "FORWARDED", ipVersion: 4, protocol: "tcp",
  source: { ip: "10.0.0.1", port: 40000, workload: "a", namespace: "x" }, destination: { ip: "10.0.1.2", port: 80, workload: "b", namespace: "y" },
  interfaces: {}, summary: "", policies: [], ...over,
});

test("filters by verdict, namespace, workload, port and protocol", () => {
  assert.ok(flowFilter({ verdict: "forwarded,dropped" })(r()));
  assert.ok(!flowFilter({ verdict: "DROPPED" })(r()));
  assert.ok(flowFilter({ namespace: "y" })(r()) && !flowFilter({ namespace: "z" })(r()));
  assert.ok(flowFilter({ workload: "a" })(r()) && !flowFilter({ workload: "c" })(r()));
  assert.ok(flowFilter({ port: "80" })(r()) && !flowFilter({ port: "81" })(r()));
  assert.ok(flowFilter({ protocol: "TCP" })(r()) && !flowFilter({ protocol: "udp" })(r()));
});

test("--from/--to take ns/workload, workload, host, IP or CIDR", () => {
  assert.ok(flowFilter({ from: "x/a", to: "y/b" })(r()));
  assert.ok(!flowFilter({ from: "y/a" })(r()));
  assert.ok(flowFilter({ from: "a", to: "10.0.1.2" })(r()));
  assert.ok(flowFilter({ to: "10.0.1.0/24" })(r()) && !flowFilter({ to: "10.0.0.0/24" })(r()));
  const fromHost = r({ source: { ip: "10.0.1.1", port: 40000, host: true } });
  assert.ok(flowFilter({ from: "host", to: "y/b" })(fromHost));
  assert.ok(!flowFilter({ from: "host" })(r()) && !flowFilter({ to: "host" })(fromHost));
});

test("--policy matches a deciding policy, with or without its namespace", () => {
  const rec = r({ policies: ["y/web"] });
  assert.ok(flowFilter({ policy: "y/web" })(rec) && flowFilter({ policy: "web" })(rec));
  assert.ok(!flowFilter({ policy: "x/web" })(rec) && !flowFilter({ policy: "we" })(rec));
});

test("--since is a duration back from now or a time", () => {
  const now = Date.parse("2026-01-01T00:00:20.000Z");
  assert.equal(sinceMs("5s", now), now - 5000);
  assert.ok(!flowFilter({ since: "5s" }, now)(r()));
  assert.ok(flowFilter({ since: "1m" }, now)(r()));
  assert.ok(flowFilter({ since: "2026-01-01T00:00:05Z" }, now)(r()));
});

test("bad filters are errors with a code", () => {
  assert.throws(() => flowFilter({ verdict: "ALLOWED" }), (e) => e instanceof EngineError && e.code === "INVALID_ARGUMENT");
  assert.throws(() => flowFilter({ since: "yesterday" }), (e) => e instanceof EngineError && e.code === "INVALID_ARGUMENT");
  assert.throws(() => flowFilter({ port: "99999" }), (e) => e instanceof EngineError && e.code === "INVALID_ARGUMENT");
  assert.throws(() => flowFilter({ to: "10.0.0.0/99" }), (e) => e instanceof EngineError && e.code === "INVALID_ARGUMENT");
});
