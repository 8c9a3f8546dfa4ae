import { test } from "node:test";
import assert from "node:assert/strict";
import { ListJournal, writtenBetween } from "./list-journal";

const key = (d: { k: string }) => d.k;

test("writtenBetween gives each key's last record between two stamped lists, undefined for a deletion", () => {
  const j = new ListJournal(key);
  const a = Object.freeze([]);
  j.stamp(a);
  const x1 = { k: "x" };
  const x2 = { k: "x" };
  j.record("x", x1);
  j.record("y", { k: "y" });
  j.record("x", x2);
  j.record("y", undefined);
  const b = Object.freeze([x2]);
  j.stamp(b);
  assert.deepEqual(writtenBetween(a, b, key), new Map([["x", x2], ["y", undefined]]));
  assert.equal(writtenBetween(b, b, key)?.size, 0);
});

test("writtenBetween answers only lists of one journal, read with its key, still kept", () => {
  const j = new ListJournal(key, 2);
  const other = new ListJournal(key);
  const a = Object.freeze([]);
  j.stamp(a);
  const foreign = Object.freeze([]);
  other.stamp(foreign);
  j.record("x", { k: "x" });
  const b = Object.freeze([]);
  j.stamp(b);
  assert.ok(writtenBetween(a, b, key));
  assert.equal(writtenBetween(a, b, (d: { k: string }) => d.k), undefined, "another key function");
  assert.equal(writtenBetween(foreign, b, key), undefined, "another journal");
  assert.equal(writtenBetween([], b, key), undefined, "a list never stamped");
  // Versions: x 1, k0 2, k1 3; at k2 (4) the journal keeps the last two (3, 4); then k3 5.
  j.record("k0", { k: "k0" });
  j.record("k1", { k: "k1" });
  const afterK1 = Object.freeze([]);
  j.stamp(afterK1);
  j.record("k2", { k: "k2" });
  j.record("k3", { k: "k3" });
  const c = Object.freeze([]);
  j.stamp(c);
  assert.equal(writtenBetween(b, c, key), undefined, "k0 (after b) is no longer kept");
  assert.deepEqual([...writtenBetween(afterK1, c, key)!.keys()], ["k2", "k3"]);
});
