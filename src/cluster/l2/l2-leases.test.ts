import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_L2_LEASE, parseL2LeaseOptions } from "./l2-leases";

test("L2 lease flags: defaults, renew derived from a short duration, refusals naming the flag", () => {
  assert.deepEqual(parseL2LeaseOptions(undefined, undefined), DEFAULT_L2_LEASE);
  assert.deepEqual(parseL2LeaseOptions("15", "5000"), { durationS: 15, renewMs: 5000 });
  assert.deepEqual(parseL2LeaseOptions("3", undefined), { durationS: 3, renewMs: 250 });
  assert.throws(() => parseL2LeaseOptions("0", undefined), /--l2-lease-duration is whole seconds/);
  assert.throws(() => parseL2LeaseOptions("1.5", undefined), /--l2-lease-duration/);
  assert.throws(() => parseL2LeaseOptions("2", "2000"), /--l2-lease-renew is whole milliseconds from 50 to below the lease duration \(2000\)/);
  assert.throws(() => parseL2LeaseOptions("2", "10"), /--l2-lease-renew/);
});
