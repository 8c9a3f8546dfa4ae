import { test } from "node:test";
import assert from "node:assert/strict";
import { FlowBatches, sseEvent } from "./flow-batches";

test("records are sent together, in order, once", () => {
  const b = new FlowBatches<number>(100);
  assert.equal(b.take(), undefined);
  for (let i = 0; i < 10; i++) b.push(i);
  assert.deepEqual(b.take(), { records: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], lost: 0 });
  assert.equal(b.take(), undefined);
});

test("a slow reader keeps at most 1.5x max pending and is told how many it lost", () => {
  const b = new FlowBatches<number>(100);
  for (let i = 0; i < 1000; i++) b.push(i);
  const out = b.take()!;
  assert.ok(out.records.length <= 150);
  assert.equal(out.records.length + out.lost, 1000);
  assert.equal(out.records.at(-1), 999);
});

test("an event is one data line even with newlines in values", () => {
  const e = sseEvent("flows", { summary: "a\nb" });
  assert.equal(e.split("\n").filter((l) => l.startsWith("data: ")).length, 1);
  assert.ok(e.endsWith("\n\n"));
});
