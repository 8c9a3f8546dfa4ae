import { test } from "node:test";
import assert from "node:assert/strict";
import type { Attachment, Network, Workload } from "../../model/types";
import { viewIndex, workloadRecords } from "./dns-records";
import { sealedClients } from "./dns-listeners";
import { DnsOwnIndex } from "./dns-own-index";
import { SentViews, type SharedGroups } from "./dns-sent-views";
import { RandomWorld } from "../../model/random-world";
import { seededInts as rng } from "../../model/seeded-ints";

const DOMAIN = "ponton.internal";
const net = (id: string, driver: Network["driver"]): Network => ({ id, name: id, driver, bridge: `pbr-${id}`, subnet4: "10.0.0.0/8", gateway4: "10.0.0.1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" }) as Network;
const NETS = [net("n1", "bridge"), net("n2", "bridge"), net("n3", "routed"), net("n4", "macvlan")];

/** A seeded generator: the same run every time, and a failure names its seed. */
const noShared: SharedGroups<object> = { list: [], records: () => [], fixed: () => true };

/** What the server is told, with names in order (a Map's order differs by path, not its content). */
function normal(c: ReturnType<SentViews<object>["next"]>) {
  const updated = [...c.updated].map(([v, names]) => [v, [...names].sort((a, b) => (a[0] < b[0] ? -1 : 1))] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return { created: [...c.created].sort((a, b) => (a[0] < b[0] ? -1 : 1)), updated };
}

for (const seed of [1, 2, 3, 4, 5]) {
  test(`the index equals the full rebuild after every random change (seed ${seed})`, () => {
    const r = rng(seed);
    let networks = NETS.slice(0, 3);
    let ip = 2;
    const states = ["running", "removing", "broken", "created"] as const;
    // The store's order (by workload, then network), or the order they came in (a cluster's remote
    // workloads appended): either way records keep their order relative to each other.
    const world = new RandomWorld(r, {
      networks: NETS.map((n) => n.id),
      workload: (id) => ({ id, name: id, labels: {}, netnsMode: "owned", netns: "x", command: [], env: {}, restart: "no", routes: [], ports: [], state: "running", createdAt: "", ...(r(4) === 0 ? { namespace: "team" } : {}), ...(r(6) === 0 ? { dns: { nameservers: ["9.9.9.9"] } } : {}) }) as Workload,
      attachment: (w, networkId): Attachment => ({ workloadId: w.id, networkId, ifname: "eth0", hostIfname: `pv-${w.id}`, mac: "", ip4: `10.1.${ip >> 8}.${ip++ & 255}`, ...(r(4) === 0 ? { ip6: `fd00::${ip++}` } : {}), index: 0, ...(r(4) === 0 ? { aliases: [`alias${r(3)}`] } : {}) }),
      rewrite: (w) => ({ ...w, state: states[r(4)]!, ...(r(3) === 0 ? { namespace: r(2) ? "team" : "default" } : {}) }) as Workload,
      reattach: (a) => ({ ...a, aliases: r(2) ? [`alias${r(3)}`] : [] }),
    }, seed % 2 === 0);
    const index = new DnsOwnIndex();
    const viaIndex = new SentViews<object>();
    const viaFull = new SentViews<object>();
    let lastIndex = new Map<string, string>();
    for (let step = 0; step < 300; step++) {
      world.change();
      if (r(80) === 0) networks = r(2) ? NETS : NETS.slice(0, 2);
      const state = world.state({ networks, userRules: [], services: [] });
      const full = workloadRecords(state, DOMAIN);
      const got = index.update(state, DOMAIN);
      const where = `seed ${seed} step ${step}`;
      assert.deepEqual(new Set(index.views()), new Set(full.keys()), where);
      for (const [view, records] of full) {
        assert.deepEqual(index.viewRecords(view), records, `${where} view ${view}`);
        for (const name of new Set(records.map((x) => x.name))) assert.deepEqual(index.nameRecords(view, name), records.filter((x) => x.name === name), `${where} ${view} ${name}`);
      }
      const clients = viewIndex(state);
      assert.deepEqual(new Map(index.index), clients, where);
      const moved = new Set([...lastIndex.keys(), ...clients.keys()].filter((a) => lastIndex.get(a) !== clients.get(a)));
      for (const a of moved) assert.ok(got.moved.has(a), `${where}: ${a} moved`);
      lastIndex = clients;
      const a = normal(got.rebuilt ? viaIndex.next(full, noShared) : viaIndex.nextTouched(index, got.touched, noShared));
      const b = normal(viaFull.next(full, noShared));
      assert.deepEqual(a, b, where);
    }
  });
}

test("a created workload touches only its own names, in the views that hold its network", () => {
  const w = (i: number): Workload => ({ id: `w${i}`, name: `w${i}`, labels: {}, netnsMode: "owned", netns: "x", command: [], env: {}, restart: "no", routes: [], ports: [], state: "running", createdAt: "" }) as Workload;
  const a = (i: number): Attachment => ({ workloadId: `w${i}`, networkId: "n1", ifname: "eth0", hostIfname: `pv-${i}`, mac: "", ip4: `10.1.0.${i + 2}`, index: 0 });
  const workloads = [0, 1, 2].map(w);
  const attachments = [0, 1, 2].map(a);
  const index = new DnsOwnIndex();
  index.update({ networks: NETS.slice(0, 1), workloads, attachments, userRules: [] }, DOMAIN);
  const step = index.update({ networks: NETS.slice(0, 1), workloads: [...workloads, w(3)], attachments: [...attachments, a(3)], userRules: [] }, DOMAIN);
  assert.equal(step.rebuilt, false);
  assert.deepEqual([...step.touched], [["n1", new Set(["w3.ponton.internal", "5.0.1.10.in-addr.arpa"])]]);
  assert.deepEqual([...step.moved], ["10.1.0.5"]);
});

for (const seed of [1, 2, 3, 4]) {
  test(`the sealed client addresses kept per change equal sealedClients() after every random change (seed ${seed})`, () => {
    const r = rng(seed);
    // --internal bridge and routed networks, an open one, the built-in "none" (internal, no addresses).
    const nets = [{ ...net("i1", "bridge"), internal: true }, { ...net("i2", "routed"), internal: true }, net("o1", "bridge"), { ...net("none", "null"), internal: true }] as Network[];
    let networks = nets;
    // Small pools: an address is often held by two attachments (overlapping subnets on two networks).
    const addr = () => ({ ip4: `10.1.0.${r(12)}`, ...(r(3) === 0 ? { ip6: `fd00::${r(4)}` } : {}) });
    const world = new RandomWorld(r, {
      networks: nets.map((n) => n.id),
      workload: (id) => ({ id, name: id, state: "running" }) as Workload,
      attachment: (w, networkId): Attachment => ({ workloadId: w.id, networkId, ifname: "eth0", hostIfname: `pv-${w.id}`, mac: "", ...(networkId === "none" ? {} : addr()), index: 0 }),
      rewrite: (w) => ({ ...w, state: r(2) ? "removing" : "running" }) as Workload,
      reattach: (a) => ({ ...a, ...(a.networkId === "none" ? {} : addr()) }),
    });
    const index = new DnsOwnIndex();
    for (let step = 0; step < 300; step++) {
      world.change();
      if (r(40) === 0) {
        // A network made internal or open (rebuilds the index).
        const i = r(3);
        networks = networks.map((n, j) => (j === i ? { ...n, internal: !n.internal } : n));
      }
      const state = world.state({ networks, userRules: [], services: [] });
      index.update(state, DOMAIN);
      assert.deepEqual(new Set(index.sealed.keys()), sealedClients(state), `seed ${seed} step ${step}`);
    }
  });
}
