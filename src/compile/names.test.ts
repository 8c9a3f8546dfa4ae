import { test } from "node:test";
import assert from "node:assert/strict";
import { bridgeName, hostVethName, macFor, IFNAME_MAX, peerTempName } from "./names";

test("interface names fit IFNAMSIZ and are deterministic", () => {
  const v = hostVethName("a1b2c3d4e5f6", "0011223344556677");
  assert.equal(v, hostVethName("a1b2c3d4e5f6", "0011223344556677"));
  assert.notEqual(v, hostVethName("a1b2c3d4e5f6", "0011223344556678"));
  assert.ok(v.length <= IFNAME_MAX);
  assert.ok(peerTempName(v).length <= IFNAME_MAX);
  assert.ok(bridgeName("0123456789abcdef", "net-test").length <= IFNAME_MAX);
  assert.equal(bridgeName("x", "bridge"), "ponton0");
});

test("MAC from IPv4 like Docker, else from a hash", () => {
  assert.equal(macFor("172.20.0.10", "x"), "02:42:ac:14:00:0a");
  assert.match(macFor(undefined, "seed"), /^02:43(:[0-9a-f]{2}){4}$/);
});
