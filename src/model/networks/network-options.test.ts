import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDriver, parseGatewayMode, parseMode, parseParent, validateMetric, validateMtu } from "./network-options";

const fails = (f: () => unknown, re: RegExp) => assert.throws(f, (e: Error & { code?: string }) => re.test(e.message) && e.code !== undefined);

test("MTU: 68..65535, 1280 at least with IPv6, never above the parent's", () => {
  assert.equal(validateMtu(68, { ipv6: false }), 68);
  assert.equal(validateMtu(65535, { ipv6: false }), 65535);
  fails(() => validateMtu(67, { ipv6: false }), /outside 68\.\.65535/);
  fails(() => validateMtu(65536, { ipv6: false }), /outside/);
  fails(() => validateMtu(1400.5, { ipv6: false }), /outside/);
  fails(() => validateMtu("1400", { ipv6: false }), /outside/);
  fails(() => validateMtu(1279, { ipv6: true }), /minimum for IPv6/);
  assert.equal(validateMtu(1280, { ipv6: true }), 1280);
  fails(() => validateMtu(9000, { ipv6: false, max: { mtu: 1500, of: "parent eth1" } }), /larger than the MTU of parent eth1 \(1500\)/);
});

test("drivers and their modes: Docker's defaults, anything else refused", () => {
  assert.equal(parseDriver(undefined), "bridge");
  assert.equal(parseDriver("macvlan"), "macvlan");
  fails(() => parseDriver("overlay"), /driver 'overlay' is not supported/);
  assert.equal(parseMode("macvlan", undefined), "bridge");
  assert.equal(parseMode("macvlan", "passthru"), "passthru");
  assert.equal(parseMode("ipvlan", undefined), "l2");
  assert.equal(parseMode("ipvlan", "l3"), "l3");
  fails(() => parseMode("ipvlan", "l3s"), /ipvlan mode 'l3s' is not one of l2, l3/);
  fails(() => parseMode("bridge", "l2"), /macvlan and ipvlan networks only/);
});

test("routed: a driver of its own (not --gateway-mode routed), with no mode and no parent", () => {
  assert.equal(parseDriver("routed"), "routed");
  assert.equal(parseMode("routed", undefined), undefined);
  fails(() => parseMode("routed", "l3"), /macvlan and ipvlan networks only/);
  assert.equal(parseParent("routed", undefined), undefined);
  fails(() => parseParent("routed", "eth1"), /macvlan and ipvlan networks only/);
});

test("parent: required for macvlan/ipvlan, IF.ID is an 802.1Q VLAN 1..4094", () => {
  assert.deepEqual(parseParent("macvlan", "eth1"), { name: "eth1" });
  assert.deepEqual(parseParent("macvlan", "eth1.20"), { name: "eth1.20", vlan: { link: "eth1", id: 20 } });
  assert.deepEqual(parseParent("ipvlan", "bond0.4094"), { name: "bond0.4094", vlan: { link: "bond0", id: 4094 } });
  fails(() => parseParent("macvlan", "eth1.4095"), /outside 1\.\.4094/);
  fails(() => parseParent("macvlan", "eth1.0"), /outside 1\.\.4094/);
  fails(() => parseParent("macvlan", undefined), /needs --parent/);
  fails(() => parseParent("macvlan", "a-very-long-ifname0"), /at most 15 bytes/);
  fails(() => parseParent("macvlan", "eth/1"), /not an interface name/);
  fails(() => parseParent("bridge", "eth1"), /macvlan and ipvlan networks only/);
  assert.equal(parseParent("bridge", undefined), undefined);
});

test("default route metric and gateway mode", () => {
  assert.equal(validateMetric(0), 0);
  assert.equal(validateMetric(4294967295), 4294967295);
  fails(() => validateMetric(-1), /not an integer in 0\.\.4294967295/);
  fails(() => validateMetric(4294967296), /not an integer/);
  assert.equal(parseGatewayMode(undefined), "nat");
  assert.equal(parseGatewayMode("routed"), "routed");
  fails(() => parseGatewayMode("isolated"), /not nat or routed/);
});
