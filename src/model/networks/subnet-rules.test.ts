import { test } from "node:test";
import assert from "node:assert/strict";
import { requestedAddresses, validateGateway, validateSubnet } from "./subnet-rules";

test("special subnets are refused with the reason", () => {
  const cases: [string, RegExp][] = [
    ["0.0.0.0/24", /unspecified/],
    ["0.0.0.0/0", /unspecified/],
    ["127.0.0.0/24", /loopback/],
    ["169.254.1.0/24", /link-local/],
    ["224.0.0.0/24", /multicast/],
    ["255.255.255.0/24", /broadcast/],
    ["::/64", /unspecified/],
    ["::1/128", /loopback/],
    ["fe80::/64", /link-local/],
    ["ff02::/64", /multicast/],
    ["::ffff:0:0/104", /IPv4-mapped/],
  ];
  for (const [subnet, why] of cases) {
    assert.throws(() => validateSubnet(subnet), (e: { code: string; message: string }) => e.code === "INVALID_CIDR" && why.test(e.message), subnet);
  }
});

test("/31, /32, /127 and /128 leave no room for a gateway and a workload", () => {
  for (const s of ["10.0.0.0/31", "10.0.0.1/32", "fd00::/127", "fd00::1/128"]) {
    assert.throws(() => validateSubnet(s), { code: "INVALID_CIDR" }, s);
  }
  assert.equal(validateSubnet("10.0.0.0/30"), "10.0.0.0/30");
  assert.equal(validateSubnet("FD00:1::/64"), "fd00:1::/64");
  assert.throws(() => validateSubnet("fd00::/64", 4), /not IPv4/);
});

test("a gateway is a host address inside its subnet", () => {
  assert.equal(validateGateway("10.1.0.0/24", "10.1.0.254"), "10.1.0.254");
  assert.throws(() => validateGateway("10.1.0.0/24", "10.1.0.0"), /network address/);
  assert.throws(() => validateGateway("10.1.0.0/24", "10.1.0.255"), /broadcast address/);
  assert.throws(() => validateGateway("10.1.0.0/24", "10.2.0.1"), { code: "ADDRESS_OUT_OF_SUBNET" });
  assert.throws(() => validateGateway("fd00:1::/64", "fd00:1::"), /network address/);
  assert.throws(() => validateGateway("fd00:1::/64", "10.1.0.1"), /not inside/);
  assert.equal(validateGateway("fd00:1::/64", "fd00:1::ffff"), "fd00:1::ffff");
});

test("static addresses: by family, special ones refused, --ip6 is IPv6 only", () => {
  assert.deepEqual(requestedAddresses("10.1.0.5", "fd00::5"), { 4: "10.1.0.5", 6: "fd00::5" });
  assert.deepEqual(requestedAddresses("FD00::5", undefined), { 6: "fd00::5" });
  assert.throws(() => requestedAddresses("::1", undefined), /loopback/);
  assert.throws(() => requestedAddresses("127.0.0.2", undefined), /loopback/);
  assert.throws(() => requestedAddresses(undefined, "fe80::1"), /link-local/);
  assert.throws(() => requestedAddresses(undefined, "10.0.0.1"), /not an IPv6/);
  assert.throws(() => requestedAddresses("fd00::1", "fd00::2"), /two IPv6/);
  assert.throws(() => requestedAddresses("nope", undefined), { code: "INVALID_ARGUMENT" });
});
