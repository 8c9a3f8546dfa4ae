// Allocation from the kept cursor picks what a scan from the subnet's first address picks, through
// random creations, releases, rolled-back creations, sticky and static addresses and reservations.
import { test } from "node:test";
import assert from "node:assert/strict";
import { allocateAddress } from "./address";
import { AddressCursors } from "./address-cursor";
import { seededInts as rng } from "../model/seeded-ints";

for (const [seed, subnet, gateway, ip] of [
  [1, "10.9.0.0/22", "10.9.0.1", (i: number) => `10.9.${i >> 8}.${i & 255}`],
  [2, "10.9.0.0/24", "10.9.0.1", (i: number) => `10.9.0.${i & 255}`],
  [3, "fd00::/118", "fd00::1", (i: number) => `fd00::${i.toString(16)}`],
] as const) {
  test(`the cursor's pick = a scan from the first address, every step (seed ${seed}, ${subnet})`, () => {
    const r = rng(seed);
    const cursors = new AddressCursors();
    const used = new Set<string>();
    const reserved = new Set<string>();
    let picked = 0;
    for (let step = 0; step < 3000; step++) {
      const op = r(10);
      if (op === 0 && used.size) {
        // A release: the network holds one fewer.
        const all = [...used];
        used.delete(all[r(all.length)]!);
      } else if (op === 1) {
        reserved.clear();
        for (let n = r(4); n > 0; n--) reserved.add(ip(r(300) + 2));
      } else {
        const sticky = op === 2 ? ip(r(300) + 2) : undefined;
        const requested = op === 3 ? ip(r(300) + 2) : undefined;
        const req = { subnet, gateway, used, reservedForOthers: reserved, ...(sticky ? { sticky } : {}), ...(requested ? { requested } : {}) };
        let expected: string | Error;
        try {
          expected = allocateAddress(req);
        } catch (e) {
          expected = e as Error;
        }
        let got: string | Error;
        try {
          got = allocateAddress({ ...req, cursor: cursors.cursor("n", used.size) });
        } catch (e) {
          got = e as Error;
        }
        assert.deepEqual(got, expected, `seed ${seed} step ${step}`);
        // A creation rolled back now and then: the address is not held after all.
        if (typeof got === "string" && r(12) !== 0) (used.add(got), picked++);
      }
    }
    assert.ok(picked > 250);
  });
}
