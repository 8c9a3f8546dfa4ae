import { test } from "node:test";
import assert from "node:assert/strict";
import { LogBudget, overLimit } from "./log-budget";
import type { EngineContext } from "../context";

test("over the limit: seen − logged per kind, from nft's JSON (missing counters count 0)", () => {
  const json = JSON.stringify({ nftables: [
    { metainfo: { version: "1.0.6" } },
    { counter: { family: "inet", name: "log_drop_seen", table: "ponton", packets: 5200, bytes: 1 } },
    { counter: { family: "inet", name: "log_drop_logged", table: "ponton", packets: 1200, bytes: 1 } },
    { counter: { family: "inet", name: "log_flow_seen", table: "ponton", packets: 7, bytes: 1 } },
  ] });
  assert.deepEqual(overLimit(json), { drop: 4000, flow: 7 });
  assert.deepEqual(overLimit(JSON.stringify({ nftables: [] })), { drop: 0, flow: 0 });
});

test("a whole-table replace keeps what the old counters held; the first (pontond's start) does not", async () => {
  let drop = 0;
  const counters = () => JSON.stringify({ nftables: [{ counter: { name: "log_drop_seen", packets: drop } }, { counter: { name: "log_drop_logged", packets: 0 } }] });
  const budget = new LogBudget({ exec: { run: async () => ({ code: 0, stdout: counters(), stderr: "" }) } } as unknown as EngineContext);
  drop = 50; // an earlier pontond's table
  (await budget.replacing())();
  drop = 0;
  assert.deepEqual(await budget.read(), { drop: 0, flow: 0 });
  drop = 100;
  assert.equal((await budget.read()).drop, 100);
  const replaced = await budget.replacing();
  drop = 120; // between the read and the replace: not counted
  replaced();
  drop = 30;
  assert.equal((await budget.read()).drop, 130);
  // A replace that failed (its function never called) changes nothing.
  await budget.replacing();
  assert.equal((await budget.read()).drop, 130);
});
