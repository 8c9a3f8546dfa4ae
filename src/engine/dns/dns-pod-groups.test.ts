// The pod groups kept per change equal podGroups() (what sharedGroups builds from scratch) after
// every random change, in the store's order and in another (a cluster's remote workloads appended).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { DnsRecord } from "../../dns";
import type { Attachment, DesiredState, Network, Workload } from "../../model/types";
import { podGroups, sharedGroups } from "./dns-records";
import { PodGroupIndex } from "./dns-pod-groups";
import { SentViews } from "./dns-sent-views";
import { seededInts as rng } from "../../model/seeded-ints";

const net = (id: string, driver: Network["driver"]): Network => ({ id, name: id, driver, bridge: `pbr-${id}`, subnet4: "10.0.0.0/8", gateway4: "10.0.0.1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" }) as Network;
const NETS = [net("n1", "bridge"), net("n2", "routed"), net("n3", "bridge"), net("n4", "macvlan")];
const byName = (records: readonly DnsRecord[]) => {
  const out = new Map<string, DnsRecord[]>();
  for (const x of records) (out.get(x.name) ?? out.set(x.name, []).get(x.name)!).push(x);
  return out;
};
const byKey = (a: Attachment, b: Attachment) => (a.workloadId + "\t" + a.networkId < b.workloadId + "\t" + b.networkId ? -1 : 1);

for (const seed of [1, 2, 3, 4, 5, 6]) {
  test(`the kept pod groups equal a build from scratch after every random change (seed ${seed})`, () => {
    const r = rng(seed);
    let networks = NETS.slice(0, 3);
    let workloads: Workload[] = [];
    let attachments: Attachment[] = [];
    let id = 0;
    // Small address pools: two attachments often share a group (same namespace and addresses).
    const addr = () => ({ ip4: `10.1.0.${r(40)}`, ...(r(3) === 0 ? { ip6: `fd00::${r(6)}` } : {}) });
    const attach = (w: Workload, n: string): Attachment => ({ workloadId: w.id, networkId: n, ifname: "eth0", hostIfname: `pv-${w.id}`, mac: "", ...addr(), index: 0 });
    const index = new PodGroupIndex();
    const sent = new SentViews<object>();
    let served = new Map<string, DnsRecord[]>();
    let last: readonly object[] | undefined;
    for (let step = 0; step < 400; step++) {
      // Seeds 5 and 6 leave the list in the order changes came (after some steps in the store's).
      const appended = seed >= 5 && step % 100 >= 50;
      const op = r(10);
      if (op <= 2 || workloads.length < 3) {
        const w = { id: `w${String(r(100000)).padStart(5, "0")}-${id++}`, name: `w${id}`, state: "running", ...(r(4) === 0 ? { namespace: "team" } : {}) } as Workload;
        workloads = [...workloads, w];
        const nets = [...new Set([NETS[r(4)]!.id, ...(r(3) === 0 ? [NETS[r(4)]!.id] : [])])];
        attachments = [...attachments, ...nets.map((n) => attach(w, n))];
      } else if (op === 3) {
        const w = workloads[r(workloads.length)]!;
        workloads = workloads.filter((x) => x !== w);
        attachments = attachments.filter((a) => a.workloadId !== w.id);
      } else if (op === 4) {
        const i = r(workloads.length);
        const states = ["running", "removing", "broken", "created"] as const;
        workloads = workloads.map((w, j) => (j === i ? ({ ...w, state: states[r(4)]!, ...(r(3) === 0 ? { namespace: r(2) ? "team" : "default" } : {}) } as Workload) : w));
      } else if (op === 5 && attachments.length) {
        const i = r(attachments.length);
        attachments = attachments.map((a, j) => (j === i ? { ...a, ...addr() } : a));
      } else if (op === 6 && attachments.length) {
        const i = r(attachments.length);
        attachments = attachments.filter((_, j) => j !== i);
      } else if (op === 7) {
        const w = workloads[r(workloads.length)]!;
        const n = NETS[r(4)]!.id;
        if (!attachments.some((a) => a.workloadId === w.id && a.networkId === n)) attachments = [...attachments, attach(w, n)];
      } else if (op === 8 && r(8) === 0) {
        networks = r(2) ? NETS : NETS.slice(0, 2);
      }
      if (!appended) attachments = [...attachments].sort(byKey);
      const state: DesiredState = { networks, workloads, attachments, userRules: [], services: [] };
      const where = `seed ${seed} step ${step}`;
      const kept = index.update(state);
      assert.deepEqual(kept.map((g) => g.records), podGroups(state).map((g) => g.records), where);
      if (op === 9 && !appended && last) assert.equal(index.update(state), kept, `${where}: unchanged, the same array`);
      last = kept;
      // What a server told only the changes holds: every pod name with its records, in order.
      const changes = sent.next(new Map([["v", []]]), sharedGroups(state, undefined, kept));
      for (const records of changes.created.values()) served = byName(records);
      for (const [name, records] of changes.updated.get("v") ?? []) {
        if (records.length) served.set(name, records);
        else served.delete(name);
      }
      assert.deepEqual(served, byName(sharedGroups(state).list.flatMap((g) => sharedGroups(state).records(g))), where);
    }
  });
}

for (const seed of [7, 8, 9, 10]) {
  test(`the pod groups' delta, taken without walking the list, serves what the whole list holds (seed ${seed})`, () => {
    const r = rng(seed);
    let workloads: Workload[] = [];
    let attachments: Attachment[] = [];
    let id = 0;
    const addr = () => ({ ip4: `10.1.0.${r(40)}`, ...(r(3) === 0 ? { ip6: `fd00::${r(6)}` } : {}) });
    const attach = (w: Workload, n: string): Attachment => ({ workloadId: w.id, networkId: n, ifname: "eth0", hostIfname: `pv-${w.id}`, mac: "", ...addr(), index: 0 });
    const index = new PodGroupIndex();
    const sent = new SentViews<object>();
    let served = new Map<string, DnsRecord[]>();
    let walks = 0;
    for (let step = 0; step < 400; step++) {
      // Seed 10 leaves the list out of order a while (the index builds it whole: no delta then).
      const appended = seed === 10 && step % 100 >= 60;
      const op = r(8);
      if (op <= 2 || workloads.length < 3) {
        const w = { id: `w${String(r(100000)).padStart(5, "0")}-${id++}`, name: `w${id}`, state: "running", ...(r(4) === 0 ? { namespace: "team" } : {}) } as Workload;
        workloads = [...workloads, w];
        attachments = [...attachments, ...[...new Set([NETS[r(4)]!.id, NETS[r(4)]!.id])].map((n) => attach(w, n))];
      } else if (op === 3) {
        const w = workloads[r(workloads.length)]!;
        workloads = workloads.filter((x) => x !== w);
        attachments = attachments.filter((a) => a.workloadId !== w.id);
      } else if (op === 4) {
        const i = r(workloads.length);
        workloads = workloads.map((w, j) => (j === i ? ({ ...w, state: r(3) ? "running" : "removing", ...(r(3) === 0 ? { namespace: r(2) ? "team" : "default" } : {}) } as Workload) : w));
      } else if (op === 5 && attachments.length) {
        const i = r(attachments.length);
        attachments = attachments.map((a, j) => (j === i ? { ...a, ...addr() } : a));
      } else if (op === 6 && attachments.length) {
        attachments = attachments.filter((_, j) => j !== r(attachments.length));
      }
      if (!appended) attachments = [...attachments].sort(byKey);
      const state: DesiredState = { networks: NETS, workloads, attachments, userRules: [], services: [] };
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
      if (index.delta.base !== undefined && step > 0 && !appended) assert.equal(walked, false, `${where}: walked`);
      if (walked) walks++;
      for (const records of changes.created.values()) served = byName(records);
      for (const [name, records] of changes.updated.get("v") ?? []) {
        if (records.length) served.set(name, records);
        else served.delete(name);
      }
      const full = sharedGroups(state);
      assert.deepEqual(served, byName(full.list.flatMap((g) => full.records(g))), where);
    }
    // Only the first sync walks when the list stays in order.
    if (seed !== 10) assert.equal(walks, 1);
  });
}
