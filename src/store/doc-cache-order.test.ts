// The list a DocCache keeps sorted by each write equals the table read and sorted whole, after
// every random put (new rows, rows written again with another sort key), delete and rollback.
import { test } from "node:test";
import assert from "node:assert/strict";
import { seededInts as rng } from "../model/seeded-ints";
import { byText, DocCache } from "./doc-cache";

interface Row {
  id: string;
  name: string;
  n: number;
}

const order = (a: Row, b: Row) => byText(a.name, b.name);

for (const seed of [1, 2, 3, 4, 5]) {
  test(`the kept order equals a sort of the table after every random write (seed ${seed})`, () => {
    const r = rng(seed);
    /** The table: id -> stored text. Names are unique, as a workload's. */
    const table = new Map<string, string>();
    const names = new Set<string>();
    const cache = new DocCache<Row>(() => [...table.values()], (d) => d.id, order);
    const freshName = () => {
      let name: string;
      do name = `n${r(5000)}`;
      while (names.has(name));
      names.add(name);
      return name;
    };
    let id = 0;
    let previous: readonly Row[] | undefined;
    for (let step = 0; step < 400; step++) {
      const op = r(10);
      const ids = [...table.keys()];
      if (op <= 4 || ids.length < 3) {
        const row = { id: `i${id++}`, name: freshName(), n: step };
        table.set(row.id, JSON.stringify(row));
        cache.put(table.get(row.id)!);
      } else if (op <= 6) {
        // Written again: its other fields, or its sort key (a rename moves it).
        const old = JSON.parse(table.get(ids[r(ids.length)]!)!) as Row;
        const row = { ...old, n: step, ...(r(2) ? {} : { name: freshName() }) };
        if (row.name !== old.name) names.delete(old.name);
        table.set(row.id, JSON.stringify(row));
        cache.put(table.get(row.id)!);
      } else if (op <= 8) {
        const gone = new Set(ids.filter(() => r(8) === 0).concat(ids[r(ids.length)]!));
        for (const k of gone) {
          names.delete((JSON.parse(table.get(k)!) as Row).name);
          table.delete(k);
        }
        cache.delete((d) => gone.has(d.id));
      } else {
        cache.drop();
      }
      const list = cache.list();
      const rebuilt = new DocCache<Row>(() => [...table.values()], (d) => d.id, order).list();
      assert.deepEqual(list, rebuilt, `step ${step}`);
      assert.ok(Object.isFrozen(list));
      assert.equal(cache.list(), list, "no write: the same array");
      if (previous) assert.notEqual(list, previous, "a write hands out a new array");
      previous = list;
    }
  });
}
