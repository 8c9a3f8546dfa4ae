import { test } from "node:test";
import assert from "node:assert/strict";
import { freeBlocks, nthBlock, validateClusterNetwork } from "./blocks";

test("cluster network: validated, node mask defaults to /24", () => {
  assert.deepEqual(validateClusterNetwork({ name: "pods", subnet: "10.42.0.0/16" }), { name: "pods", subnet: "10.42.0.0/16", nodeMask: 24 });
  assert.throws(() => validateClusterNetwork({ name: "pods" }), /--subnet is required/);
  assert.throws(() => validateClusterNetwork({ name: "pods", subnet: "10.42.0.1/16" }), /host bits/);
  assert.throws(() => validateClusterNetwork({ name: "pods", subnet: "fd00::/48" }), /IPv4/);
  assert.throws(() => validateClusterNetwork({ name: "pods", subnet: "10.42.0.0/16", nodeMask: 16 }), /node-mask/);
  assert.throws(() => validateClusterNetwork({ name: "pods", subnet: "10.42.0.0/16", nodeMask: 30 }), /node-mask/);
});

test("blocks: cut in order, skipping taken ones, ending at the last", () => {
  const n = validateClusterNetwork({ name: "p", subnet: "10.42.0.0/22", nodeMask: 24 });
  assert.equal(nthBlock(n, 0), "10.42.0.0/24");
  assert.equal(nthBlock(n, 3), "10.42.3.0/24");
  assert.equal(nthBlock(n, 4), undefined);
  assert.deepEqual([...freeBlocks(n, new Set(["10.42.0.0/24", "10.42.2.0/24"]))], ["10.42.1.0/24", "10.42.3.0/24"]);
  assert.deepEqual([...freeBlocks(n, new Set(["10.42.0.0/24", "10.42.1.0/24", "10.42.2.0/24", "10.42.3.0/24"]))], []);
});
