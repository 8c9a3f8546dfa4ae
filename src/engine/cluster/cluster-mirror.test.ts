import { test } from "node:test";
import assert from "node:assert/strict";
import { mirrorPlan } from "./cluster-mirror";

type R = { name: string; id: string; v: number; cluster?: true };
const key = (r: R) => r.name;
const same = (a: R, b: R) => a.id === b.id;

test("mirror: new and changed records are put, the cluster's gone records deleted, node-local ones kept", () => {
  const have: R[] = [
    { name: "same", id: "1", v: 1, cluster: true },
    { name: "changed", id: "2", v: 1, cluster: true },
    { name: "gone", id: "3", v: 1, cluster: true },
    { name: "local", id: "4", v: 1 },
  ];
  const want: R[] = [
    { name: "same", id: "1", v: 1, cluster: true },
    { name: "changed", id: "2", v: 2, cluster: true },
    { name: "new", id: "5", v: 1, cluster: true },
  ];
  const p = mirrorPlan(have, want, key, same);
  assert.deepEqual(p.put.map((r) => r.name), ["changed", "new"]);
  assert.deepEqual(p.del.map((r) => r.name), ["gone"]);
});

test("mirror: a node-local record under a name the cluster now has gives way (another id)", () => {
  const p = mirrorPlan<R>([{ name: "web", id: "L", v: 1 }], [{ name: "web", id: "C", v: 1, cluster: true }], key, same);
  assert.deepEqual(p.del.map((r) => r.id), ["L"]);
  assert.deepEqual(p.put.map((r) => r.id), ["C"]);
});
