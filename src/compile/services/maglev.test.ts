import { test } from "node:test";
import assert from "node:assert/strict";
import { maglevTable, maglevSize } from "./maglev";

test("maglev: balanced, and removing one of 3 backends keeps most slots", () => {
  const before = maglevTable(["a", "b", "c"]);
  assert.equal(before.length, maglevSize(3));
  for (let i = 0; i < 3; i++) {
    const share = before.filter((b) => b === i).length / before.length;
    assert.ok(share > 0.3 && share < 0.37, `share ${share}`);
  }
  const after = maglevTable(["a", "c"], before.length);
  const name = (keys: string[], i: number) => keys[i]!;
  let kept = 0;
  before.forEach((b, slot) => {
    if (name(["a", "b", "c"], b) === name(["a", "c"], after[slot]!)) kept++;
  });
  assert.ok(kept / before.length >= 0.6, `kept ${kept / before.length}`);
});
