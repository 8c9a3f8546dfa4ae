import { test } from "node:test";
import assert from "node:assert/strict";
import { Rerun } from "./loop";

test("a lone change runs at once; a burst while a run is going becomes one more run, never one per change", async () => {
  let runs = 0;
  let release: () => void = () => undefined;
  const loop = new Rerun("test", async () => {
    runs++;
    await new Promise<void>((r) => (release = r));
  });
  const first = loop.run();
  assert.equal(runs, 1, "started synchronously: no delay on a lone change");
  const burst = Array.from({ length: 50 }, () => loop.run());
  release();
  await new Promise((r) => setImmediate(r));
  assert.equal(runs, 2, "the 50 changes made during the run: one more run");
  release();
  await Promise.all([first, ...burst]);
  assert.equal(runs, 2);
  loop.close();
});
