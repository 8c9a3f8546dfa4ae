// The pod groups kept per change equal podGroups() (what sharedGroups builds from scratch) after
// every random change, in the store's order and in another (a cluster's remote workloads appended).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { DnsRecord } from "../../dns";
import type { Attachment, DesiredState, Network, Workload } from "../../model/types";
import { podGroups, sharedGroups } from "./dns-records";
import { PodGroupIndex } from "./dns-pod-groups";
import { SentViews, type ViewChanges } from "./dns-sent-views";
import { RandomWorld } from "../../model/random-world";
import { seededInts as rng } from "../../model/seeded-ints";

const net = (id: string, driver: Network["driver"]): Network => ({ id, name: id, driver, bridge: `pbr-${id}`, subnet4: "10.0.0.0/8", gateway4: "10.0.0.1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" }) as Network;
const NETS = [net("n1", "bridge"), net("n2", "routed"), net("n3", "bridge"), net("n4", "macvlan")];
const byName = (records: readonly DnsRecord[]) => {
  const out = new Map<string, DnsRecord[]>();
  for (const x of records) (out.get(x.name) ?? out.set(x.name, []).get(x.name)!).push(x);
  return out;
};

/** A world of pods whose small address pools make two attachments often share a group (same namespace and addresses). */
function podWorld(r: (n: number) => number): RandomWorld {
  const addr = () => ({ ip4: `10.1.0.${r(40)}`, ...(r(3) === 0 ? { ip6: `fd00::${r(6)}` } : {}) });
  const states = ["running", "removing", "broken", "created"] as const;
  return new RandomWorld(r, {
    networks: NETS.map((n) => n.id),
    workload: (id) => ({ id: `w${String(r(100000)).padStart(5, "0")}-${id}`, name: id, state: "running", ...(r(4) === 0 ? { namespace: "team" } : {}) }) as Workload,
    attachment: (w, networkId): Attachment => ({ workloadId: w.id, networkId, ifname: "eth0", hostIfname: `pv-${w.id}`, mac: "", ...addr(), index: 0 }),
    rewrite: (w) => ({ ...w, state: states[r(4)]!, ...(r(3) === 0 ? { namespace: r(2) ? "team" : "default" } : {}) }) as Workload,
    reattach: (a) => ({ ...a, ...addr() }),
  });
}

/** What a server told only the changes holds, after these changes. */
function serve(served: Map<string, DnsRecord[]>, changes: ViewChanges): Map<string, DnsRecord[]> {
  for (const records of changes.created.values()) served = byName(records);
  for (const [name, records] of changes.updated.get("v") ?? []) {
    if (records.length) served.set(name, records);
    else served.delete(name);
  }
  return served;
}

/** Every pod name with its records, in order, as the whole list has them. */
function whole(state: DesiredState): Map<string, DnsRecord[]> {
  const full = sharedGroups(state);
  return byName(full.list.flatMap((g) => full.records(g)));
}

for (const seed of [1, 2, 3, 4, 5, 6]) {
  test(`the kept pod groups equal a build from scratch after every random change (seed ${seed})`, () => {
    const r = rng(seed);
    let networks = NETS.slice(0, 3);
    const world = podWorld(r);
    const index = new PodGroupIndex();
    const sent = new SentViews<object>();
    let served = new Map<string, DnsRecord[]>();
    let last: readonly object[] | undefined;
    for (let step = 0; step < 400; step++) {
      // Seeds 5 and 6 leave the list in the order changes came (after some steps in the store's).
      world.appended = seed >= 5 && step % 100 >= 50;
      const unchanged = r(10) === 0;
      if (!unchanged) world.change();
      if (r(80) === 0) networks = r(2) ? NETS : NETS.slice(0, 2);
      const state = world.state({ networks, userRules: [], services: [] });
      const where = `seed ${seed} step ${step}`;
      const kept = index.update(state);
      assert.deepEqual(kept.map((g) => g.records), podGroups(state).map((g) => g.records), where);
      if (unchanged && !world.appended && last) assert.equal(index.update(state), kept, `${where}: unchanged, the same array`);
      last = kept;
      served = serve(served, sent.next(new Map([["v", []]]), sharedGroups(state, undefined, kept)));
      assert.deepEqual(served, whole(state), where);
    }
  });
}

for (const seed of [7, 8, 9, 10]) {
  test(`the pod groups' delta, taken without walking the list, serves what the whole list holds (seed ${seed})`, () => {
    const r = rng(seed);
    const world = podWorld(r);
    const index = new PodGroupIndex();
    const sent = new SentViews<object>();
    let served = new Map<string, DnsRecord[]>();
    let walks = 0;
    for (let step = 0; step < 400; step++) {
      // Seed 10 leaves the list out of order a while (the index builds it whole: no delta then).
      world.appended = seed === 10 && step % 100 >= 60;
      world.change();
      const state = world.state({ networks: NETS, userRules: [], services: [] });
      const where = `seed ${seed} step ${step}`;
      const kept = index.update(state);
      const shared = sharedGroups(state, undefined, kept, index.delta);
      let walked = false;
      const watched = { ...shared, get list() {
        walked = true;
        return shared.list;
      } };
      const changes = sent.next(new Map([["v", []]]), watched);
      // Kept groups after kept groups: the delta is taken, the list is not read.
      if (index.delta.base !== undefined && step > 0 && !world.appended) assert.equal(walked, false, `${where}: walked`);
      if (walked) walks++;
      served = serve(served, changes);
      assert.deepEqual(served, whole(state), where);
    }
    // Only the first sync walks when the list stays in order.
    if (seed !== 10) assert.equal(walks, 1);
  });
}
