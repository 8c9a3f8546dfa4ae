// The host-side wanted set kept per change equals wantedObjects() after every random change.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Attachment, DesiredState, Network, Workload } from "../../model/types";
import { wantedObjects } from "./damage";
import { HostWantedIndex } from "./host-wanted-index";
import { seededInts as rng } from "../../model/seeded-ints";

const kept = (w: Workload) => w.state === "running" || w.state === "stopped";

const bridge: Network = { id: "n1", name: "a", driver: "bridge", bridge: "pbr-a", subnet4: "10.5.0.0/24", gateway4: "10.5.0.1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
const routed: Network = { id: "n2", name: "b", driver: "routed", bridge: "", subnet4: "10.6.0.0/16", gateway4: "10.6.0.1", subnet6: "fd00::/64", gateway6: "fd00::1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
const macvlan = { ...bridge, id: "n3", name: "c", driver: "macvlan", bridge: "" } as Network;

const sorted = (w: ReturnType<typeof wantedObjects>) => ({
  links: [...w.links].sort(([a], [b]) => (a < b ? -1 : 1)),
  addrs: [...w.addrs].sort(),
  routes: [...w.routes].sort(),
  netns: [...w.netns].sort(),
});

for (const seed of [1, 2, 3, 4]) {
  test(`the kept host-side set equals wantedObjects after every random change (seed ${seed})`, () => {
    const r = rng(seed);
    let networks: Network[] = [bridge, routed, macvlan];
    let workloads: Workload[] = [];
    let attachments: Attachment[] = [];
    let id = 0;
    const index = new HostWantedIndex(kept);
    for (let step = 0; step < 400; step++) {
      const op = r(9);
      if (op <= 2 || workloads.length < 3) {
        const wid = `w${String(id++).padStart(4, "0")}`;
        const w = { id: wid, name: wid, netnsMode: r(4) === 0 ? "path" : "owned", netns: `p-${wid}`, state: ["running", "stopped", "creating"][r(3)] } as Workload;
        workloads = [...workloads, w];
        for (const n of networks) {
          if (r(2)) continue;
          const ip = `${id}`;
          attachments = [...attachments, { workloadId: wid, networkId: n.id, ifname: "eth0", hostIfname: n.driver === "macvlan" ? "" : `v${n.id}-${wid}`, mac: "", ip4: `10.6.${id >> 8}.${id & 255}`, ...(r(2) ? { ip6: `fd00::${ip}` } : {}), index: 0 } as Attachment];
        }
      } else if (op === 3) {
        const w = workloads[r(workloads.length)]!;
        workloads = workloads.filter((x) => x !== w);
        attachments = attachments.filter((a) => a.workloadId !== w.id);
      } else if (op === 4 || op === 5) {
        const i = r(workloads.length);
        workloads = workloads.map((w, j) => (j === i ? ({ ...w, state: ["running", "stopped", "removing", "creating"][r(4)] } as Workload) : w));
      } else if (op === 6 && attachments.length) {
        const i = r(attachments.length);
        attachments = attachments.filter((_, j) => j !== i);
      } else if (op === 7 && attachments.length) {
        const i = r(attachments.length);
        attachments = attachments.map((a, j) => (j === i ? { ...a, ip4: `10.6.9.${r(250)}` } : a));
      } else if (op === 8 && r(10) === 0) {
        // A network changes (a routed one's gateway): the networks' part is built again.
        networks = networks.map((n) => (n.id === "n2" ? { ...n, gateway4: `10.6.0.${r(5) + 1}` } : n));
      }
      const state = { networks, workloads, attachments, userRules: [], services: [], namespaces: [], policies: [] } as unknown as DesiredState;
      assert.deepEqual(sorted(index.update(state)), sorted(wantedObjects(state, kept)), `seed ${seed} step ${step}`);
    }
  });
}
