import { test } from "node:test";
import assert from "node:assert/strict";
import { validateLabels } from "./names";
import { MAX_LABELS } from "./limits";

const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `v${i}`]));

test("an object holds at most MAX_LABELS labels", () => {
  assert.equal(Object.keys(validateLabels(many(MAX_LABELS))).length, MAX_LABELS);
  assert.throws(() => validateLabels(many(MAX_LABELS + 1)), (e: { code: string; message: string }) => e.code === "INVALID_ARGUMENT" && /labels on one object: 257 is more than the limit of 256/.test(e.message));
});

test("label syntax as Kubernetes: name <= 63, DNS prefix <= 253, value <= 63", () => {
  const label63 = "a".repeat(63);
  const prefix253 = `${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.${"e".repeat(61)}`;
  assert.equal(prefix253.length, 253);
  assert.doesNotThrow(() => validateLabels({ [`${prefix253}/${label63}`]: label63 }));
  assert.throws(() => validateLabels({ [`x${prefix253}/a`]: "v" }), /invalid label/);
  assert.throws(() => validateLabels({ [`a${label63}`]: "v" }), /invalid label/);
  assert.throws(() => validateLabels({ k: `a${label63}` }), /invalid label/);
  assert.throws(() => validateLabels({ ["a".repeat(1_000_000)]: "v" }), /invalid label/);
});
