// The sockets kept per change equal heldEntries' full pass after every random change.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Attachment, Network, Workload } from "../model/types";
import { parsePortSpec } from "../model/ports";
import { RandomWorld } from "../model/random-world";
import { seededInts as rng } from "../model/seeded-ints";
import { heldEntries } from "./held-ports";
import { HeldEntriesIndex } from "./held-entries-index";

const net = (id: string, driver: Network["driver"]): Network => ({ id, name: id, driver, subnet4: "10.0.0.0/8", subnet6: "fd00::/64", internal: false }) as Network;
const NETWORKS = [net("n1", "bridge"), net("n2", "routed"), net("n3", "macvlan")];
const SPECS = ["8080:80", "127.0.0.1:8081:80", "[::1]:8082:80/udp", "[::]:8083:80", "0.0.0.0:8084:80"];
const SERVICES = [{ name: "s", vips: ["10.96.0.5"], ports: [{ port: 80, targetPort: 8080, protocol: "tcp", hostPort: 30080 }] }];

for (const seed of [1, 2, 3, 4]) {
  test(`the kept sockets equal heldEntries after every random change (seed ${seed})`, () => {
    const r = rng(seed);
    let ip = 2;
    const ports = () => (r(3) === 0 ? [] : SPECS.filter(() => r(3) === 0).flatMap((s) => parsePortSpec(s)));
    const states = ["running", "removing", "creating", "stopped"] as const;
    const world = new RandomWorld(r, {
      networks: NETWORKS.map((n) => n.id),
      workload: (id) => ({ id, name: `n${r(100000)}-${id}`, state: states[r(4)]!, ports: ports(), ...(r(6) === 0 ? { cni: { network: "pods", containerId: id, ifname: "eth0" } } : {}) }) as Workload,
      attachment: (w, networkId) => ({ workloadId: w.id, networkId, ifname: "eth0", ip4: `10.1.${ip >> 8}.${ip++ & 255}`, ...(r(3) === 0 ? { ip6: `fd00::${ip++}` } : {}), index: 0 }) as Attachment,
      rewrite: (w) => ({ ...w, state: states[r(4)]!, ...(r(2) ? { ports: ports() } : {}) }),
      reattach: (a) => ({ ...a, ip4: `10.2.${ip >> 8}.${ip++ & 255}`, ...(r(2) ? { ip6: `fd00::${ip++}` } : {}) }),
    });
    const index = new HeldEntriesIndex();
    let publishing = 0;
    for (let step = 0; step < 400; step++) {
      world.change();
      const state = world.state({ networks: NETWORKS, userRules: [], services: SERVICES as never });
      const full = heldEntries(state);
      assert.deepEqual(index.entries(state), full, `seed ${seed} step ${step}`);
      publishing = Math.max(publishing, full.length);
    }
    assert.ok(publishing > 10, "the world had publishing workloads");
  });
}
