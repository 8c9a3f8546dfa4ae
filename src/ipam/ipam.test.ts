import { test } from "node:test";
import assert from "node:assert/strict";
import { allocateAddress, allocateSubnet, parsePoolSpec, defaultGateway } from "./index";

const base = { subnet: "172.20.0.0/24", gateway: "172.20.0.1", used: new Set<string>(), reservedForOthers: new Set<string>() };

test("first free address skips network, gateway and what is used", () => {
  assert.equal(allocateAddress(base), "172.20.0.2");
  assert.equal(allocateAddress({ ...base, used: new Set(["172.20.0.2", "172.20.0.3"]) }), "172.20.0.4");
});

test("sticky address is reused when free; addresses reserved for other names are avoided", () => {
  assert.equal(allocateAddress({ ...base, sticky: "172.20.0.9" }), "172.20.0.9");
  assert.equal(allocateAddress({ ...base, sticky: "172.20.0.9", used: new Set(["172.20.0.9"]) }), "172.20.0.2");
  assert.equal(allocateAddress({ ...base, reservedForOthers: new Set(["172.20.0.2"]) }), "172.20.0.3");
});

test("static address: inside, not gateway, not used", () => {
  assert.equal(allocateAddress({ ...base, requested: "172.20.0.10" }), "172.20.0.10");
  assert.throws(() => allocateAddress({ ...base, requested: "172.21.0.10" }), { code: "ADDRESS_OUT_OF_SUBNET" });
  assert.throws(() => allocateAddress({ ...base, requested: "172.20.0.255" }), { code: "ADDRESS_OUT_OF_SUBNET" });
  assert.throws(() => allocateAddress({ ...base, requested: "172.20.0.1" }), { code: "ADDRESS_IN_USE" });
  assert.throws(() => allocateAddress({ ...base, requested: "172.20.0.5", used: new Set(["172.20.0.5"]) }), { code: "ADDRESS_IN_USE" });
});

test("a full subnet says so", () => {
  const used = new Set(["10.0.0.2"]);
  assert.throws(() => allocateAddress({ subnet: "10.0.0.0/30", gateway: "10.0.0.1", used, reservedForOthers: new Set() }), { code: "SUBNET_FULL" });
});

test("IPv6 allocation", () => {
  assert.equal(allocateAddress({ subnet: "fd00:1::/64", gateway: "fd00:1::1", used: new Set(), reservedForOthers: new Set() }), "fd00:1::2");
  assert.equal(defaultGateway("fd00:1::/64"), "fd00:1::1");
});

test("subnet pool skips networks and host routes, and names them when exhausted", () => {
  const pool = parsePoolSpec("10.89.0.0/22:24");
  assert.equal(allocateSubnet(pool, [], "--default-pool"), "10.89.0.0/24");
  assert.equal(allocateSubnet(pool, [{ cidr: "10.89.0.0/23", by: "route dev wg0" }], "--default-pool"), "10.89.2.0/24");
  assert.throws(
    () => allocateSubnet(pool, [{ cidr: "10.89.0.0/22", by: "route dev tun0" }], "--default-pool"),
    (e: { code: string; message: string; hint: string }) => e.code === "POOL_EXHAUSTED" && e.message.includes("tun0") && e.hint.includes("--default-pool"),
  );
  assert.throws(() => parsePoolSpec("10.89.0.0/16:8"), { code: "INVALID_ARGUMENT" });
  assert.deepEqual(parsePoolSpec("fd00::/48:64"), { base: "fd00::/48", size: 64 });
});
