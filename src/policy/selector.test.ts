import { test } from "node:test";
import assert from "node:assert/strict";
import { matchesSelector } from "./selector";
import type { LabelSelector } from "./types";

const sel = (matchLabels: Record<string, string>, matchExpressions: LabelSelector["matchExpressions"] = []): LabelSelector => ({ matchLabels, matchExpressions });

test("empty selector matches everything, including no labels", () => {
  assert.equal(matchesSelector(sel({}), {}), true);
  assert.equal(matchesSelector(sel({}), { a: "b" }), true);
});

test("matchLabels needs every pair", () => {
  assert.equal(matchesSelector(sel({ a: "1", b: "2" }), { a: "1", b: "2", c: "3" }), true);
  assert.equal(matchesSelector(sel({ a: "1", b: "2" }), { a: "1" }), false);
  assert.equal(matchesSelector(sel({ a: "1" }), { a: "2" }), false);
});

test("operators: In, NotIn (absent key matches), Exists, DoesNotExist", () => {
  const m = (operator: "In" | "NotIn" | "Exists" | "DoesNotExist", values: string[], labels: Record<string, string>) =>
    matchesSelector(sel({}, [{ key: "k", operator, values }]), labels);
  assert.equal(m("In", ["a", "b"], { k: "b" }), true);
  assert.equal(m("In", ["a", "b"], { k: "c" }), false);
  assert.equal(m("In", ["a"], {}), false);
  assert.equal(m("NotIn", ["a"], { k: "b" }), true);
  assert.equal(m("NotIn", ["a"], { k: "a" }), false);
  assert.equal(m("NotIn", ["a"], {}), true);
  assert.equal(m("Exists", [], { k: "" }), true);
  assert.equal(m("Exists", [], {}), false);
  assert.equal(m("DoesNotExist", [], {}), true);
  assert.equal(m("DoesNotExist", [], { k: "x" }), false);
});

test("matchLabels and matchExpressions are ANDed", () => {
  const s = sel({ app: "web" }, [{ key: "env", operator: "NotIn", values: ["prod"] }]);
  assert.equal(matchesSelector(s, { app: "web", env: "dev" }), true);
  assert.equal(matchesSelector(s, { app: "web", env: "prod" }), false);
  assert.equal(matchesSelector(s, { app: "db", env: "dev" }), false);
});

test("inherited object keys are not labels", () => {
  assert.equal(matchesSelector(sel({}, [{ key: "toString", operator: "Exists", values: [] }]), {}), false);
});
