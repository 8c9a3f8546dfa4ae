import { test } from "node:test";
import assert from "node:assert/strict";
import { OwnCommits } from "./own-commits";

test("a commit's PID is ours once added; settled waits for every commit in flight", async () => {
  const own = new OwnCommits();
  let release!: () => void;
  const commit = own.during(() => new Promise<void>((r) => (release = r)).then(() => own.add(4242)));
  assert.equal(own.busy, true);
  let settled = false;
  const waiting = own.settled().then(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, "not while a commit is in flight");
  assert.equal(own.isOwn(4242), false);
  release();
  await commit;
  await waiting;
  assert.equal(own.isOwn(4242), true);
  assert.equal(own.isOwn(4243), false);
  assert.equal(own.busy, false);
});

test("old PIDs are forgotten once many were seen", () => {
  const own = new OwnCommits();
  own.add(1, 0);
  for (let p = 2; p < 300; p++) own.add(p, 120_000);
  assert.equal(own.isOwn(1), false);
  assert.equal(own.isOwn(299), true);
});
