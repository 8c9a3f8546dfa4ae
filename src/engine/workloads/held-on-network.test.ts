// What each network holds, kept per change, equals a count over the list after every random change
// (new, gone and rewritten attachments; a list made again as a rolled-back store reads it).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Attachment } from "../../model/types";
import { seededInts as rng } from "../../model/seeded-ints";
import { HeldOnNetworks, type NetworkHeld } from "./held-on-network";

const NETS = ["n1", "n2", "n3"];
const byKey = (a: Attachment, b: Attachment) => (a.workloadId + "\t" + a.networkId < b.workloadId + "\t" + b.networkId ? -1 : 1);

/** What allocateAttachment read before: a filter of the list and a Set of each. */
function counted(list: readonly Attachment[], net: string) {
  const held = list.filter((a) => a.networkId === net);
  const set = (xs: (string | undefined)[]) => [...new Set(xs.filter((x): x is string => !!x))].sort();
  return { count: held.length, ip4: set(held.map((a) => a.ip4)), ip6: set(held.map((a) => a.ip6)), hostIfnames: set(held.map((a) => a.hostIfname)) };
}

const seen = (h: NetworkHeld) => ({ count: h.count, ip4: h.ip4.values().sort(), ip6: h.ip6.values().sort(), hostIfnames: h.hostIfnames.values().sort() });

for (const seed of [1, 2, 3, 4, 5]) {
  test(`the kept counts equal a count over the list after every random change (seed ${seed})`, () => {
    const r = rng(seed);
    let list: Attachment[] = [];
    let id = 0;
    // Small pools: values are often shared (a Set counts them once; the kept one must too).
    const att = (wid: string, net: string): Attachment => ({ workloadId: wid, networkId: net, ifname: "eth0", hostIfname: r(5) ? `v${r(30)}` : "", mac: "", ...(r(6) ? { ip4: `10.0.0.${r(40)}` } : {}), ...(r(3) === 0 ? { ip6: `fd00::${r(20)}` } : {}), index: 0 });
    const held = new HeldOnNetworks();
    for (let step = 0; step < 400; step++) {
      const op = r(10);
      if (op <= 3 || list.length < 3) {
        const wid = `w${r(1000)}-${id++}`;
        list = [...list, ...[...new Set([NETS[r(3)]!, NETS[r(3)]!])].map((n) => att(wid, n))];
      } else if (op <= 5) {
        const i = r(list.length);
        list = list.filter((_, j) => j !== i);
      } else if (op <= 7) {
        const i = r(list.length);
        list = list.map((a, j) => (j === i ? att(a.workloadId, a.networkId) : a));
      } else if (op === 8) {
        // A rolled-back transaction: the store reads every row again (new objects, same content).
        list = list.map((a) => ({ ...a }));
      }
      list = [...list].sort(byKey);
      for (const net of NETS) assert.deepEqual(seen(held.of(list, net)), counted(list, net), `seed ${seed} step ${step} ${net}`);
    }
  });
}
