import { test } from "node:test";
import assert from "node:assert/strict";
import { parseProjectFile } from "./project-file";

const POOL = "apiVersion: cilium.io/v2alpha1\nkind: CiliumLoadBalancerIPPool\nmetadata: {name: blue}\nspec: {blocks: [{cidr: 192.0.2.0/24}]}\n";
const BGP = "apiVersion: cilium.io/v2alpha1\nkind: CiliumBGPPeeringPolicy\nmetadata: {name: tor}\nspec: {virtualRouters: [{localASN: 65001, neighbors: [{peerAddress: 10.0.0.1/32, peerASN: 65000}]}]}\n";

test("ponton up: pools and BGP policies beside the project, checked as their apply commands check them", () => {
  const f = parseProjectFile(`name: shop\n---\n${POOL}---\n${BGP}`, "d");
  assert.deepEqual([f.lbPools?.map((p) => p.name), f.bgpPolicies?.map((p) => p.name)], [["blue"], ["tor"]]);
  assert.throws(() => parseProjectFile(`name: shop\n---\n${POOL.replace("blocks", "cidrz")}`, "d"), /spec\.cidrz: unknown field/);
  assert.throws(() => parseProjectFile(`name: shop\n---\n${BGP}---\n${BGP}`, "d"), /BGP policy tor is declared twice/);
  assert.throws(() => parseProjectFile(`name: shop\n---\nkind: CiliumEgressGatewayPolicy\n`, "d"), /kind 'CiliumEgressGatewayPolicy' is not supported beside a project/);
});
