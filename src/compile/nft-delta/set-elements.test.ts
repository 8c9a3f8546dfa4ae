import { test } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { keptDelta, SetElements } from "./set-elements";

test("a set's array remembers the step it was made by, and only that one", () => {
  const sets = new SetElements();
  sets.set("w1", [["owned_ifs", "a"]]);
  const a1 = sets.array("owned_ifs");
  sets.set("w2", [["owned_ifs", "b"]]);
  const a2 = sets.array("owned_ifs");
  sets.set("w1", []);
  const a3 = sets.array("owned_ifs");
  assert.deepEqual(a3, ["b"]);
  assert.deepEqual(keptDelta(a2, a3), { from: a2, added: [], removed: ["a"] });
  assert.equal(keptDelta(a1, a3), undefined, "two steps: the arrays are compared");
  assert.equal(keptDelta(a1, a2), undefined, "a step is forgotten once the next one is made");
  assert.equal(sets.array("owned_ifs"), a3, "nothing changed: the same array");
});

test("the arrays of earlier steps are not kept alive (each remembered the one before it: every version of every set)", async () => {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const sets = new SetElements();
  sets.set("w0", [["owned_ifs", "x0"]]);
  const first = new WeakRef(sets.array("owned_ifs"));
  for (let i = 1; i <= 5; i++) {
    sets.set(`w${i}`, [["owned_ifs", `x${i}`]]);
    sets.array("owned_ifs");
  }
  await new Promise((r) => setImmediate(r));
  gc();
  assert.equal(first.deref(), undefined);
});
