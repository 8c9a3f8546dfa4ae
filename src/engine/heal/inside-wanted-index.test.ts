import { test } from "node:test";
import assert from "node:assert/strict";
import type { Attachment, DesiredState, Workload } from "../../model/types";
import { insideWanted } from "./inside-damage";
import { InsideWantedIndex } from "./inside-wanted-index";
import { seededInts as rng } from "../../model/seeded-ints";

const kept = (w: Workload) => w.state === "running" || w.state === "stopped";

for (const seed of [1, 2, 3]) {
  test(`the kept set equals insideWanted after every random change, and says what came and went (seed ${seed})`, () => {
    const r = rng(seed);
    let workloads: Workload[] = [];
    let attachments: Attachment[] = [];
    let id = 0;
    let ip = 2;
    const index = new InsideWantedIndex(kept);
    let before = new Set<string>();
    const shared = ["/run/netns/given", "/run/netns/other", "/proc/1/ns/net"];
    for (let step = 0; step < 400; step++) {
      const op = r(8);
      if (op <= 2 || workloads.length < 3) {
        const wid = `w${String(id++).padStart(4, "0")}`;
        const mode = r(5);
        const w = { id: wid, name: wid, netnsMode: mode === 0 ? "path" : mode === 1 ? "host" : "owned", netns: mode === 0 ? shared[r(3)] : mode === 1 ? "" : `p-${wid}`, state: "running" } as Workload;
        workloads = [...workloads, w];
        attachments = [...attachments, { workloadId: wid, networkId: "n1", ifname: "eth0", ip4: `10.0.${ip >> 8}.${ip++ & 255}` } as Attachment];
      } else if (op === 3) {
        const w = workloads[r(workloads.length)]!;
        workloads = workloads.filter((x) => x !== w);
        attachments = attachments.filter((a) => a.workloadId !== w.id);
      } else if (op === 4) {
        const i = r(workloads.length);
        const states = ["running", "removing", "broken", "stopped", "exited"] as const;
        workloads = workloads.map((w, j) => (j === i ? ({ ...w, state: states[r(5)]! } as Workload) : w));
      } else if (op === 5) {
        const w = workloads[r(workloads.length)]!;
        if (!attachments.some((a) => a.workloadId === w.id && a.networkId === "n2")) attachments = [...attachments, { workloadId: w.id, networkId: "n2", ifname: "eth1", ip4: `10.1.${ip >> 8}.${ip++ & 255}`, ...(r(2) ? { ip6: `fd00::${ip++}` } : {}) } as Attachment];
      } else if (op === 6 && attachments.length) {
        const i = r(attachments.length);
        attachments = attachments.filter((_, j) => j !== i);
      }
      attachments = [...attachments].sort((a, b) => (a.workloadId + "\t" + a.networkId < b.workloadId + "\t" + b.networkId ? -1 : 1));
      const state = { networks: [], workloads, attachments, userRules: [] } as DesiredState;
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
