import { test } from "node:test";
import assert from "node:assert/strict";
import type { Attachment, Workload } from "../../model/types";
import { RandomWorld } from "../../model/random-world";
import { insideWanted } from "./inside-damage";
import { InsideWantedIndex } from "./inside-wanted-index";
import { seededInts as rng } from "../../model/seeded-ints";

const kept = (w: Workload) => w.state === "running" || w.state === "stopped";

for (const seed of [1, 2, 3]) {
  test(`the kept set equals insideWanted after every random change, and says what came and went (seed ${seed})`, () => {
    const r = rng(seed);
    let ip = 2;
    const index = new InsideWantedIndex(kept);
    let before = new Set<string>();
    const shared = ["/run/netns/given", "/run/netns/other", "/proc/1/ns/net"];
    const states = ["running", "removing", "broken", "stopped", "exited"] as const;
    const address = (networkId: string) => (networkId === "n1" ? { ip4: `10.0.${ip >> 8}.${ip++ & 255}` } : { ip4: `10.1.${ip >> 8}.${ip++ & 255}`, ...(r(2) ? { ip6: `fd00::${ip++}` } : {}) });
    const world = new RandomWorld(r, {
      networks: ["n1", "n2"],
      workload: (id) => {
        const mode = r(5);
        return { id, name: id, netnsMode: mode === 0 ? "path" : mode === 1 ? "host" : "owned", netns: mode === 0 ? shared[r(3)] : mode === 1 ? "" : `p-${id}`, state: "running" } as Workload;
      },
      attachment: (w, networkId) => ({ workloadId: w.id, networkId, ifname: networkId === "n1" ? "eth0" : "eth1", ...address(networkId) }) as Attachment,
      rewrite: (w) => ({ ...w, state: states[r(5)]! }) as Workload,
      reattach: (a) => ({ ...a, ...address(a.networkId) }),
    });
    for (let step = 0; step < 400; step++) {
      world.change();
      const state = world.state({ networks: [], userRules: [] });
      const { added, removed } = index.update(state);
      const full = insideWanted(state, kept);
      assert.deepEqual(index.wanted, full, `seed ${seed} step ${step}`);
      const now = new Set(full.keys());
      assert.deepEqual(new Set(added), new Set([...now].filter((n) => !before.has(n))), `seed ${seed} step ${step} added`);
      assert.deepEqual(new Set(removed), new Set([...before].filter((n) => !now.has(n))), `seed ${seed} step ${step} removed`);
      before = now;
    }
  });
}
