import { test } from "node:test";
import assert from "node:assert/strict";
import { fenced, staleTakeovers, type BeatSeen } from "./l2-takeover";

const holders = new Map([
  ["10.0.0.1", { node: "n1", rev: "11" }],
  ["10.0.0.2", { node: "n2", rev: "12" }],
  ["10.0.0.3", { node: "me", rev: "13" }],
]);

test("a standby takes over exactly the wanted addresses whose holder's heartbeat has not changed for the stale interval", () => {
  const beats = new Map<string, BeatSeen>([["n1", { rev: "40", at: 0 }], ["n2", { rev: "41", at: 900 }]]);
  assert.deepEqual(staleTakeovers("me", ["10.0.0.1", "10.0.0.2", "10.0.0.3"], holders, beats, 999, 1000), [], "neither stale yet");
  assert.deepEqual(staleTakeovers("me", ["10.0.0.2", "10.0.0.1", "10.0.0.3"], holders, beats, 1000, 1000), [{ ip: "10.0.0.1", holder: "n1", addressRev: "11", beatRev: "40" }]);
  assert.deepEqual(staleTakeovers("me", ["10.0.0.2"], holders, beats, 5000, 1000), [{ ip: "10.0.0.2", holder: "n2", addressRev: "12", beatRev: "41" }], "only wanted ones");
  assert.deepEqual(staleTakeovers("me", ["10.0.0.9"], holders, beats, 5000, 1000), [], "a free address is claimed, not taken over");
});

test("a heartbeat key gone (rev 0, seen at -Infinity) is stale at once; a holder never seen beating is left to its lease", () => {
  const beats = new Map<string, BeatSeen>([["n1", { rev: "0", at: -Infinity }]]);
  assert.deepEqual(staleTakeovers("me", ["10.0.0.1", "10.0.0.2"], holders, beats, 0, 1000), [{ ip: "10.0.0.1", holder: "n1", addressRev: "11", beatRev: "0" }]);
});

test("a holder stops answering once its last accepted beat is as old as the stale interval", () => {
  assert.equal(fenced(1000, 1999, 1000), false);
  assert.equal(fenced(1000, 2000, 1000), true);
});
