import assert from "node:assert/strict";
import { test } from "node:test";
import { clientAcl } from "./client-acl";

test("only addresses inside the prefixes pass; IPv4-mapped IPv6 counts as IPv4", () => {
  const acl = clientAcl(["10.88.0.0/24", "fd00:1::/64"]);
  assert.equal(acl("10.88.0.7"), true);
  assert.equal(acl("10.88.1.7"), false);
  assert.equal(acl("::ffff:10.88.0.9"), true);
  assert.equal(acl("fd00:1::5"), true);
  assert.equal(acl("fd00:2::5"), false);
  assert.equal(acl("fe80::1%eth0"), false);
  assert.equal(acl("not-an-address"), false);
});

test("no prefixes given: everyone; a bad prefix is refused up front", () => {
  assert.equal(clientAcl(undefined)("192.0.2.1"), true);
  assert.equal(clientAcl([])("192.0.2.1"), false);
  assert.throws(() => clientAcl(["10.0.0.0/33"]), /ADDRESS\/BITS/);
  assert.throws(() => clientAcl(["nope/8"]), /ADDRESS\/BITS/);
});
