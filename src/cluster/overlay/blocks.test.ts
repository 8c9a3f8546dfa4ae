import { test } from "node:test";
import assert from "node:assert/strict";
import { freeBlocks, nthBlock, rangesOf, validateClusterNetwork } from "./blocks";

test("cluster network: validated, node mask defaults to /24", () => {
  assert.deepEqual(validateClusterNetwork({ name: "pods", subnet: "10.42.0.0/16" }), { name: "pods", subnet: "10.42.0.0/16", nodeMask: 24 });
  assert.throws(() => validateClusterNetwork({ name: "pods" }), /--subnet \(or --ipv6 --subnet6 for an IPv6-only network\) is required/);
  assert.throws(() => validateClusterNetwork({ name: "pods", subnet: "10.42.0.1/16" }), /host bits/);
  assert.throws(() => validateClusterNetwork({ name: "pods", subnet: "fd00::/48" }), /IPv4.*--subnet6/);
  assert.throws(() => validateClusterNetwork({ name: "pods", subnet: "10.42.0.0/16", nodeMask: 16 }), /node-mask/);
  assert.throws(() => validateClusterNetwork({ name: "pods", subnet: "10.42.0.0/16", nodeMask: 30 }), /node-mask/);
});

test("an IPv6-only cluster network: IPv6 blocks alone, no IPv4 node mask", () => {
  const n = validateClusterNetwork({ name: "pods6", ipv6: true, subnet6: "fd42::/56", nodeMask6: 64 });
  assert.deepEqual(n, { name: "pods6", subnet6: "fd42::/56", nodeMask6: 64 });
  assert.deepEqual(rangesOf(n), [{ subnet: "fd42::/56", mask: 64 }]);
  assert.throws(() => validateClusterNetwork({ name: "pods6", subnet6: "fd42::/56", nodeMask: 24 }), /--node-mask needs --subnet/);
  assert.throws(() => validateClusterNetwork({ name: "pods6", subnet6: "10.42.0.0/16" }), /--subnet6 is IPv6/);
});

test("blocks: cut in order, skipping taken ones, ending at the last", () => {
  const n = { subnet: "10.42.0.0/22", mask: 24 };
  assert.equal(nthBlock(n, 0), "10.42.0.0/24");
  assert.equal(nthBlock(n, 3), "10.42.3.0/24");
  assert.equal(nthBlock(n, 4), undefined);
  assert.deepEqual([...freeBlocks(n, new Set(["10.42.0.0/24", "10.42.2.0/24"]))], ["10.42.1.0/24", "10.42.3.0/24"]);
  assert.deepEqual([...freeBlocks(n, new Set(["10.42.0.0/24", "10.42.1.0/24", "10.42.2.0/24", "10.42.3.0/24"]))], []);
});

test("dual stack: --subnet6 cut into /64 blocks by default; --ipv6 alone, a v4 --subnet6 or a too long mask refused", () => {
  const n = validateClusterNetwork({ name: "pods", subnet: "10.42.0.0/16", ipv6: true, subnet6: "fd42::/56" });
  assert.deepEqual(n, { name: "pods", subnet: "10.42.0.0/16", nodeMask: 24, subnet6: "fd42::/56", nodeMask6: 64 });
  const [v4, v6] = rangesOf(n);
  assert.deepEqual(v4, { subnet: "10.42.0.0/16", mask: 24 });
  assert.equal(nthBlock(v6!, 0), "fd42::/64");
  assert.equal(nthBlock(v6!, 3), "fd42:0:0:3::/64");
  assert.equal(nthBlock(v6!, 256), undefined);
  assert.equal(nthBlock({ subnet: "fd42::/104", mask: 120 }, 2), "fd42::200/120");
  assert.throws(() => validateClusterNetwork({ name: "pods", subnet: "10.42.0.0/16", ipv6: true }), /--subnet6 is required/);
  assert.throws(() => validateClusterNetwork({ name: "pods", subnet: "10.42.0.0/16", subnet6: "10.43.0.0/16" }), /--subnet6 is IPv6/);
  assert.throws(() => validateClusterNetwork({ name: "pods", subnet: "10.42.0.0/16", subnet6: "fd42::/56", nodeMask6: 56 }), /--node-mask6 must be longer than \/56/);
  assert.throws(() => validateClusterNetwork({ name: "pods", subnet: "10.42.0.0/16", subnet6: "fd42::/32" }), /more than 2\^20 blocks/);
  assert.throws(() => validateClusterNetwork({ name: "pods", subnet: "10.42.0.0/16", nodeMask6: 64 }), /--node-mask6 needs --subnet6/);
});
