import { test } from "node:test";
import assert from "node:assert/strict";
import { listDelta } from "./list-delta";
import { seededInts as rng } from "./seeded-ints";

interface Rec {
  k: string;
  v: number;
}

test("listDelta names exactly the keys added, removed or given another record, whatever moved", () => {
  const r = rng(7);
  let before: Rec[] | undefined;
  let list: Rec[] = [];
  const known = new Map<string, Rec>();
  for (let step = 0; step < 2000; step++) {
    const next = [...list];
    for (let n = r(3) + 1; n > 0; n--) {
      const op = r(4);
      if (op === 0 || next.length < 2) next.splice(r(next.length + 1), 0, { k: `k${step}-${n}`, v: 0 });
      else if (op === 1) next.splice(r(next.length), 1);
      else if (op === 2) {
        const i = r(next.length);
        next[i] = { ...next[i]!, v: next[i]!.v + 1 };
      } else next.reverse();
    }
    before = list;
    list = next;
    const was = new Map(before.map((x) => [x.k, x]));
    const now = new Map(list.map((x) => [x.k, x]));
    const expected = new Set([...was.keys(), ...now.keys()].filter((k) => was.get(k) !== now.get(k)));
    assert.deepEqual(listDelta(before, list, known, (x) => x.k), expected, `step ${step}`);
    assert.deepEqual(known, now, `step ${step}`);
  }
  assert.equal(listDelta(list, list, known, (x) => x.k).size, 0);
});
