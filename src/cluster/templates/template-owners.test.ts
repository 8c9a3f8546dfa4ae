import { test } from "node:test";
import assert from "node:assert/strict";
import { ownerTarget, scaleByOwner, templateViewsOf, type TemplateRecord } from "./template-owners";
import type { NodeView } from "../node-view";

const rec = (name: string, owner: string, replicas = 1): TemplateRecord => ({ name, owner, replicas, createdAt: "t", spec: { name, networks: ["pods"], command: ["sleep", "1"] } });
const node = (name: string, status: "Ready" | "NotReady"): NodeView => ({ name, address: "192.0.2.1", heartbeat: "h", workloads: 0, status, blocks: [] });

test("scale by owner: each owner gets its templates; a name etcd does not know is this node's", () => {
  const parts = scaleByOwner([rec("a", "n1"), rec("b", "n2"), rec("c", "n2")], { a: 2, b: 3, c: 0, x: 1 }, "n1");
  assert.deepEqual(Object.fromEntries(parts), { n1: { a: 2, x: 1 }, n2: { b: 3, c: 0 } });
});

test("owner target: a Ready owner is the target; NotReady and unknown owners are refused with their codes", () => {
  const nodes = [node("n1", "Ready"), node("n2", "NotReady")];
  assert.equal(ownerTarget(nodes, "n1", "scale a").name, "n1");
  assert.throws(() => ownerTarget(nodes, "n2", "scale b"), (e: { code: string; message: string }) => e.code === "NODE_NOT_READY" && /scale b: its owner node n2 is NotReady/.test(e.message));
  assert.throws(() => ownerTarget(nodes, "n9", "scale c"), (e: { code: string }) => e.code === "NODE_NOT_FOUND");
});

test("template views: the owner's view when it answered, the record when it did not, local-only templates as this node's", () => {
  const views = templateViewsOf(
    [rec("a", "n1", 2), rec("b", "n2", 3)],
    new Map([["n1", [{ name: "a", replicas: 2, running: 2 } as { name: string; replicas: number }]]]),
    "n1",
    [{ name: "a", replicas: 2 }, { name: "old", replicas: 1 }],
  );
  assert.deepEqual(views.map((v) => [v.name, v.node, v.replicas, v.running]), [["a", "n1", 2, 2], ["b", "n2", 3, undefined], ["old", "n1", 1, undefined]]);
  assert.deepEqual(views[1]!.networks, ["pods"]);
});
