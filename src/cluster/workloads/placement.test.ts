import { test } from "node:test";
import assert from "node:assert/strict";
import { EngineError } from "../../errors";
import type { NodeView } from "../node-view";
import { placementTarget } from "./placement";

const node = (name: string, status: NodeView["status"]): NodeView => ({ name, address: "192.0.2.1", heartbeat: "2026-12-07T10:00:00.000Z", workloads: 0, status, blocks: [] });
const nodes = [node("n1", "Ready"), node("n2", "NotReady")];

test("run --node: a Ready node is the target", () => {
  assert.equal(placementTarget(nodes, "n1").name, "n1");
});

test("run --node: an unknown node is NODE_NOT_FOUND naming the nodes there are; a NotReady one NODE_NOT_READY", () => {
  assert.throws(() => placementTarget(nodes, "n9"), (e: unknown) => e instanceof EngineError && e.code === "NODE_NOT_FOUND" && /n1, n2/.test(e.hint));
  assert.throws(() => placementTarget(nodes, "n2"), (e: unknown) => e instanceof EngineError && e.code === "NODE_NOT_READY" && /NotReady/.test(e.message));
});
