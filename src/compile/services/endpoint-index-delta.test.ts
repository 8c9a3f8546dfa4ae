// The endpoint index kept per change equals the index built from scratch after every random change,
// and the label lists it says moved are exactly those a full comparison finds.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Attachment, DesiredState, Network, Workload } from "../../model/types";
import { deepFreeze } from "../../store/doc-cache";
import { buildEndpointIndex, indexEndpoints, type EndpointIndex } from "./endpoints";
import { LabelListChanges } from "./label-lists";
import { seededInts as rng } from "../../model/seeded-ints";

const NETS: Network[] = [
  { id: "n1", name: "a", driver: "bridge", bridge: "pbr-a", subnet4: "10.5.0.0/24", gateway4: "10.5.0.1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" },
  { id: "n2", name: "b", driver: "routed", bridge: "", subnet6: "fd00::/64", gateway6: "fd00::1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" },
  { id: "n3", name: "c", driver: "bridge", bridge: "pbr-c", subnet4: "10.6.0.0/24", gateway4: "10.6.0.1", internal: true, icc: true, masquerade: false, routesTo: [], labels: {}, createdAt: "" },
];

/** Comparable form: candidates in order, and every label list's member ids in order. */
const shape = (i: EndpointIndex) => ({
  candidates: i.candidates.map((c) => ({ ...c })),
  byLabel: [...i.byLabel].map(([k, l]) => [k, l.map((c) => c.workloadId)] as const).sort(([a], [b]) => (a < b ? -1 : 1)),
});

for (const seed of [1, 2, 3, 4, 5, 6]) {
  test(`kept index = full build after each of 300 random changes (seed ${seed})`, () => {
    const r = rng(seed);
    const workloads = new Map<string, Workload>();
    const attachments = new Map<string, Attachment>();
    const kept = new LabelListChanges();
    const full = new LabelListChanges();
    let serial = 0;
    const labels = () => {
      const l: Record<string, string> = {};
      for (let n = r(3); n > 0; n--) l[["app", "tier", "zone"][r(3)]!] = ["web", "db", "x"][r(3)]!;
      return l;
    };
    for (let step = 0; step < 300; step++) {
      for (let n = r(3) + 1; n > 0; n--) {
        const op = r(6);
        const ids = [...workloads.keys()];
        const pick = ids[r(ids.length)];
        if (op <= 1 || !pick) {
          const id = `w${serial++}`;
          // Names collide sometimes: the order falls back to the id.
          workloads.set(id, deepFreeze({ id, name: `n${r(40)}`, namespace: r(4) === 0 ? "other" : undefined, labels: labels(), netnsMode: "owned", netns: id, command: [], env: {}, restart: "no", routes: [], ports: [], state: r(5) === 0 ? "removing" : "running", createdAt: "" } as Workload));
          for (const [i, net] of NETS.entries()) {
            if (r(2) === 0) continue;
            const a: Attachment = { workloadId: id, networkId: net.id, ifname: `eth${i}`, hostIfname: `v-${id}-${i}`, mac: "", index: r(3), ...(net.subnet4 ? { ip4: `10.${5 + i}.0.${r(250) + 2}` } : {}), ...(net.subnet6 ? { ip6: `fd00::${r(999) + 2}` } : {}) };
            attachments.set(`${id}\t${net.id}`, deepFreeze(a));
          }
        } else if (op === 2) {
          workloads.delete(pick);
          for (const k of [...attachments.keys()]) if (k.startsWith(`${pick}\t`)) attachments.delete(k);
        } else if (op === 3) {
          workloads.set(pick, deepFreeze({ ...workloads.get(pick)!, labels: labels() }));
        } else if (op === 4) {
          const w = workloads.get(pick)!;
          workloads.set(pick, deepFreeze({ ...w, state: w.state === "running" ? "creating" : r(2) ? "running" : "stopped", ...(r(3) === 0 ? { exposes: [{ port: 80 + r(3), protocol: "tcp" }] } : {}) } as Workload));
        } else {
          const k = [...attachments.keys()].find((x) => x.startsWith(`${pick}\t`));
          if (k) attachments.set(k, deepFreeze({ ...attachments.get(k)!, ip4: `10.5.0.${r(250) + 2}` }));
        }
      }
      const sortBy = <T>(m: Map<string, T>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
      const state: DesiredState = { networks: NETS, workloads: Object.freeze(sortBy(workloads)), attachments: Object.freeze(sortBy(attachments)), userRules: [], services: [], namespaces: [], policies: [] } as unknown as DesiredState;
      const index = indexEndpoints(state);
      const whole = buildEndpointIndex({ ...state, workloads: [...state.workloads], attachments: [...state.attachments] });
      assert.deepEqual(shape(index), shape(whole), `seed ${seed} step ${step}`);
      assert.deepEqual(kept.update(index).sort(), full.update(whole).sort(), `seed ${seed} step ${step}: changed lists`);
    }
  });
}
