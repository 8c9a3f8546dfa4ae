import { test } from "node:test";
import assert from "node:assert/strict";
import { assignVips, availableFamilies, checkVipInRange, type VipSpace } from "./service-vips";
import type { Service } from "../../model/services/service";

const space = (held: string[]): VipSpace => ({ taken: (ip) => held.includes(ip), start: () => 0n, took: () => undefined });
const base = { vip: "10.96.0.7", vips: ["10.96.0.7", "fd00:10:96::7"] } as Service;

test("a VIP is the one given, else the previous version's of that family, else the next free of its range", () => {
  const taken = space(["10.96.0.1", "fd00:10:96::1"]);
  assert.deepEqual(assignVips(["IPv6", "IPv4"], [], undefined, taken), ["fd00:10:96::2", "10.96.0.2"]);
  assert.deepEqual(assignVips(["IPv4", "IPv6"], ["fd00:10:96::9"], base, taken), ["10.96.0.7", "fd00:10:96::9"]);
  assert.deepEqual(assignVips(["IPv6"], [], base, taken), ["fd00:10:96::7"]);
});

test("PONTON_SERVICE_RANGE6=none turns the IPv6 family off; ranges bound given VIPs", () => {
  const saved = process.env.PONTON_SERVICE_RANGE6;
  try {
    delete process.env.PONTON_SERVICE_RANGE6;
    assert.deepEqual([...availableFamilies()], ["IPv4", "IPv6"]);
    assert.throws(() => checkVipInRange("fd00:11::1"), { code: "ADDRESS_OUT_OF_SUBNET" });
    checkVipInRange("fd00:10:96::ffff");
    process.env.PONTON_SERVICE_RANGE6 = "none";
    assert.deepEqual([...availableFamilies()], ["IPv4"]);
    process.env.PONTON_SERVICE_RANGE6 = "10.97.0.0/16";
    assert.throws(() => assignVips(["IPv6"], [], undefined, space([])), { code: "INVALID_CIDR" });
  } finally {
    if (saved === undefined) delete process.env.PONTON_SERVICE_RANGE6;
    else process.env.PONTON_SERVICE_RANGE6 = saved;
  }
});
