// ponton-cni on a routed network (no bridge): the result's shape, the conflist's driver, its checks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseConfig } from "./config";
import { buildResult } from "./result";
import { cniDriver, differences } from "./described-network";

const facts = { hostIfname: "pr-1a2b3c4d5e6f", ifname: "eth0", mac: "02:00:0a:01:00:05", sandbox: "/run/netns/c1", ip4: { address: "10.1.0.5/32", gateway: "10.1.0.1" }, defaultVia4: "10.1.0.1" };

test("result without a bridge: the host veth first, the container interface second, its addresses pointing at it", () => {
  const r = buildResult("1.1.0", facts, undefined);
  assert.deepEqual(r.interfaces, [{ name: "pr-1a2b3c4d5e6f" }, { name: "eth0", mac: "02:00:0a:01:00:05", sandbox: "/run/netns/c1" }]);
  assert.deepEqual(r.ips, [{ interface: 1, address: "10.1.0.5/32", gateway: "10.1.0.1" }]);
  assert.deepEqual(r.routes, [{ dst: "0.0.0.0/0", gw: "10.1.0.1" }]);
  // Chained after another plugin: indexes count its interfaces first.
  const chained = buildResult("1.1.0", facts, undefined, { interfaces: [{ name: "lo0" }], ips: [], routes: [] });
  assert.equal(chained.ips[0]!.interface, 2);
  // With a bridge, as before: bridge, host veth, container interface.
  assert.equal(buildResult("1.1.0", { ...facts, bridge: "pbr-x" }, undefined).ips[0]!.interface, 2);
});

test("the conflist may ask for a routed network; an existing network of the other driver is named as a difference", () => {
  const conf = parseConfig(JSON.stringify({ cniVersion: "1.1.0", name: "n", type: "ponton-cni", network: "flat", driver: "routed", subnet: "10.1.0.0/24" }), "ADD", {});
  assert.deepEqual(conf.describes, { driver: "routed", subnet: "10.1.0.0/24" });
  const routed = { id: "x", name: "flat", driver: "routed" as const, bridge: "", subnet4: "10.1.0.0/24", gateway4: "10.1.0.1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
  assert.deepEqual(differences(routed, conf.describes), []);
  assert.deepEqual(differences({ ...routed, driver: "bridge", bridge: "b" }, conf.describes), ["driver is bridge, the conflist says routed"]);
  assert.deepEqual(differences(routed, { subnet: "10.1.0.0/24" }), [], "no driver in the conflist: whichever the network has");
  assert.equal(cniDriver(routed), true);
  assert.equal(cniDriver({ ...routed, driver: "bridge" }), true);
  assert.equal(cniDriver({ ...routed, driver: "macvlan" }), false);
  assert.equal(cniDriver(undefined), false);
});
