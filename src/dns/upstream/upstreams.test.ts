import assert from "node:assert/strict";
import { test } from "node:test";
import { UpstreamSet } from "./upstreams";

test("a failed upstream is skipped for a doubling backoff, then tried again", () => {
  const c = { t: 0 };
  const set = new UpstreamSet([{ address: "10.0.0.1", port: 53 }, { address: "10.0.0.2", port: 53 }], { now: () => c.t, baseBackoffMs: 1000 });
  const [a, b] = set.list;
  assert.deepEqual(set.candidates(), [a, b]);
  set.markDown(a, "timeout");
  assert.deepEqual(set.candidates(), [b]);
  c.t = 1000;
  assert.deepEqual(set.candidates(), [a, b]);
  set.markDown(a, "timeout");
  c.t = 2999;
  assert.deepEqual(set.candidates(), [b], "second failure: 2 s");
  set.markUp(a);
  assert.deepEqual(set.candidates(), [a, b]);
  assert.equal(set.health()[0].failures, 0);
});

test("with every upstream down, one query probes the earliest to recover; the others fail at once", () => {
  const c = { t: 0 };
  const set = new UpstreamSet([{ address: "10.0.0.1", port: 53 }, { address: "10.0.0.2", port: 53 }], { now: () => c.t });
  const [a, b] = set.list;
  set.markDown(b, "x");
  c.t = 10;
  set.markDown(a, "y");
  assert.deepEqual(set.candidates(), [b]);
  assert.deepEqual(set.candidates(), [a]);
  assert.deepEqual(set.candidates(), []);
  assert.equal(set.health()[0].up, false);
  assert.equal(set.health()[0].lastError, "y");
});
