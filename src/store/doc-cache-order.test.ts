// The list a DocCache keeps sorted by each write equals the table read and sorted whole, after
// every random put (new rows, rows written again with another sort key), delete and rollback; and a
// reader of two of its lists learns from its journal exactly what comparing the lists finds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { seededInts as rng } from "../model/seeded-ints";
import { listDelta } from "../model/list-delta";
import { writtenBetween } from "../model/list-journal";
import { byText } from "../model/by-text";
import { DocCache } from "./doc-cache";

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
    const key = (d: Row) => d.id;
    // A small journal, so that readers far behind fall back to comparing the lists.
    const cache = new DocCache<Row>(() => [...table.values()], key, order, 16);
    /** Readers that take a list now and then: by the journal, and by comparing copies (never stamped). */
    const readers = Array.from({ length: 4 }, () => ({ list: undefined as readonly Row[] | undefined, known: new Map<string, Row>(), copy: undefined as Row[] | undefined, knownByScan: new Map<string, Row>() }));
    let journalled = 0;
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
        cache.delete(gone);
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
      for (const reader of readers) {
        if (r(3) !== 0) continue;
        if (reader.list && writtenBetween(reader.list, list, key)) journalled++;
        const copy = [...list];
        const got = listDelta(reader.list, list, reader.known, key);
        assert.deepEqual(got, listDelta(reader.copy, copy, reader.knownByScan, key), `step ${step}`);
        assert.deepEqual(reader.known, new Map(list.map((d) => [d.id, d])), `step ${step}`);
        Object.assign(reader, { list, copy });
      }
    }
    assert.ok(journalled > 50, `the journal answered ${journalled} times`);
  });
}
