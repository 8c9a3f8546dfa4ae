// The host-side wanted set kept per change equals wantedObjects() after every random change.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Attachment, Network, Workload } from "../../model/types";
import { RandomWorld } from "../../model/random-world";
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
    let ip = 0;
    const index = new HostWantedIndex(kept);
    const world = new RandomWorld(r, {
      networks: networks.map((n) => n.id),
      workload: (id) => ({ id, name: id, netnsMode: r(4) === 0 ? "path" : "owned", netns: `p-${id}`, state: ["running", "stopped", "creating"][r(3)] }) as Workload,
      attachment: (w, networkId) => ({ workloadId: w.id, networkId, ifname: "eth0", hostIfname: networkId === macvlan.id ? "" : `v${networkId}-${w.id}`, mac: "", ip4: `10.6.${++ip >> 8}.${ip & 255}`, ...(r(2) ? { ip6: `fd00::${ip}` } : {}), index: 0 }) as Attachment,
      rewrite: (w) => ({ ...w, state: ["running", "stopped", "removing", "creating"][r(4)] }) as Workload,
      reattach: (a) => ({ ...a, ip4: `10.6.9.${r(250)}` }),
    });
    for (let step = 0; step < 400; step++) {
      world.change();
      // A network changes now and then (a routed one's gateway): the networks' part is built again.
      if (r(40) === 0) networks = networks.map((n) => (n.id === "n2" ? { ...n, gateway4: `10.6.0.${r(5) + 1}` } : n));
      const state = world.state({ networks, userRules: [], services: [], namespaces: [], policies: [] });
      assert.deepEqual(sorted(index.update(state)), sorted(wantedObjects(state, kept)), `seed ${seed} step ${step}`);
    }
  });
}
