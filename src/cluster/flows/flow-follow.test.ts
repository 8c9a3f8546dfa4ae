import { test } from "node:test";
import assert from "node:assert/strict";
import type { FlowRecord } from "../../flows";
import { AllNodesFollow, type FollowLine } from "./flow-follow";
import type { NodeView } from "../node-view";

const rec = (seq: number): FlowRecord => ({
  seq, time: `2026-01-01T00:00:${String(seq).padStart(2, "0")}.000Z`, verdict: "FORWARDED", ipVersion: 4, protocol: "tcp",
  source: { ip: "10.0.0.1", port: 40000 }, destination: { ip: "10.0.0.2", port: 80 }, interfaces: {}, summary: "", policies: [],
});
const self = (status: "Ready" | "NotReady"): NodeView => ({ name: "n1", address: "192.0.2.1", status, blocks: [], heartbeat: "", workloads: 0 });

test("follow: a record both in the past and live is sent once, live ones after the past in order; a node gone leaves the stream", async () => {
  let onRecord: ((r: FlowRecord) => void) | undefined;
  let stopped = false;
  let status: "Ready" | "NotReady" = "Ready";
  const out: FollowLine[] = [];
  const f = new AllNodesFollow(
    "n1",
    async () => [self(status)],
    "token",
    // The past is read after the live stream opened: record 2 is in both, 3 only live.
    () => {
      onRecord!(rec(2));
      onRecord!(rec(3));
      return [rec(1), rec(2)];
    },
    (_q, cb) => {
      onRecord = cb;
      return () => void (stopped = true);
    },
    new URLSearchParams("follow=1"),
    (l) => out.push(l),
  );
  await f.start();
  onRecord!(rec(4));
  assert.deepEqual(out.map((l) => ("event" in l ? l.event : `${l.node}#${l.seq}`)), ["n1#1", "n1#2", "n1#3", "n1#4"]);
  status = "NotReady";
  await new Promise((r) => setTimeout(r, 1300));
  f.stop();
  assert.deepEqual(out.at(-1), { event: "node-left", node: "n1", reason: "NotReady" });
  assert.ok(stopped, "its local stream was stopped");
});
