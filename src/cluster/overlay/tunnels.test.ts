import { test } from "node:test";
import assert from "node:assert/strict";
import { tunnelPlan, vtepAddress } from "./tunnels";
import type { NodeView } from "../node-view";

const node = (name: string, status: "Ready" | "NotReady", blocks: string[], mac?: string): NodeView => ({ name, address: `192.0.2.${name.slice(1)}`, status, blocks, heartbeat: "", workloads: 0, ...(mac ? { vtepMac: mac } : {}) });

test("tunnels: one per block of each other Ready node with a MAC; never to ourselves", () => {
  const plan = tunnelPlan("n1", [
    node("n1", "Ready", ["pods=10.42.0.0/24"], "02:00:00:00:00:01"),
    node("n2", "Ready", ["pods=10.42.1.0/24", "web=10.43.1.0/24"], "02:00:00:00:00:02"),
    node("n3", "NotReady", ["pods=10.42.2.0/24"], "02:00:00:00:00:03"),
    node("n4", "Ready", ["pods=10.42.3.0/24"]),
  ]);
  assert.deepEqual(plan, [
    { block: "10.42.1.0/24", network: "pods", node: "n2", address: "192.0.2.2", vtep: "10.42.1.0", mac: "02:00:00:00:00:02" },
    { block: "10.43.1.0/24", network: "web", node: "n2", address: "192.0.2.2", vtep: "10.43.1.0", mac: "02:00:00:00:00:02" },
  ]);
});

test("vtep address is the block's network address", () => {
  assert.equal(vtepAddress("10.42.7.0/24"), "10.42.7.0");
});

test("tunnels with native routing: every Ready node's blocks via its address, no MAC needed", () => {
  const plan = tunnelPlan("n1", [node("n1", "Ready", ["pods=10.42.0.0/24"]), node("n2", "Ready", ["pods=10.42.1.0/24"]), node("n3", "NotReady", ["pods=10.42.2.0/24"])], true);
  assert.deepEqual(plan, [{ block: "10.42.1.0/24", network: "pods", node: "n2", address: "192.0.2.2", vtep: "", mac: "" }]);
});
