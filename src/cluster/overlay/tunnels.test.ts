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

test("IPv6 blocks: over VXLAN via the block's first address; natively via the node's link-local address, once published", () => {
  const dual = (name: string, blocks: string[], ll?: string): NodeView => ({ ...node(name, "Ready", blocks, "02:00:00:00:00:02"), ...(ll ? { linkLocal6: ll } : {}) });
  const nodes = [dual("n1", ["pods=10.42.0.0/24", "pods=fd42::/64"]), dual("n2", ["pods=10.42.1.0/24", "pods=fd42:0:0:1::/64"], "fe80::2"), dual("n3", ["pods=10.42.2.0/24", "pods=fd42:0:0:2::/64"])];
  assert.deepEqual(tunnelPlan("n1", nodes).filter((t) => t.block.includes(":")).map((t) => [t.block, t.vtep, t.address]), [["fd42:0:0:1::/64", "fd42:0:0:1::", "192.0.2.2"], ["fd42:0:0:2::/64", "fd42:0:0:2::", "192.0.2.3"]]);
  assert.deepEqual(tunnelPlan("n1", nodes, true).map((t) => [t.block, t.via6]), [["10.42.1.0/24", undefined], ["10.42.2.0/24", undefined], ["fd42:0:0:1::/64", "fe80::2"]], "n3 has no link-local address yet: its IPv6 block waits");
});
