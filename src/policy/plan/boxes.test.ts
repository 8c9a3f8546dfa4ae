import { test } from "node:test";
import assert from "node:assert/strict";
import { decompose, type Box } from "./boxes";

const iv = (lo: number, hi: number) => ({ lo: BigInt(lo), hi: BigInt(hi) });
const box = (b: Box) => [Number(b.aLo), Number(b.aHi), Number(b.lLo), Number(b.lHi), b.rank];

test("overlapping items become disjoint boxes labeled with the lowest rank", () => {
  const out = decompose([
    { addrs: [iv(0, 9)], line: [iv(0, 9)], rank: 5 },
    { addrs: [iv(5, 14)], line: [iv(5, 20)], rank: 2 },
  ]);
  assert.deepEqual(out.map(box), [
    [0, 4, 0, 9, 5],
    [5, 9, 0, 4, 5],
    [5, 9, 5, 20, 2],
    [10, 14, 5, 20, 2],
  ]);
});

test("adjacent address segments with equal labels merge; empty items vanish", () => {
  const out = decompose([
    { addrs: [iv(0, 3)], line: [iv(7, 7)], rank: 1 },
    { addrs: [iv(4, 8)], line: [iv(7, 7)], rank: 1 },
    { addrs: [], line: [iv(0, 100)], rank: 0 },
    { addrs: [iv(0, 100)], line: [], rank: 0 },
  ]);
  assert.deepEqual(out.map(box), [[0, 8, 7, 7, 1]]);
});
