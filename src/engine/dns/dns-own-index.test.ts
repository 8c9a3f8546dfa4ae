import { test } from "node:test";
import assert from "node:assert/strict";
import type { Attachment, DesiredState, Network, Workload } from "../../model/types";
import { viewIndex, workloadRecords } from "./dns-records";
import { sealedClients } from "./dns-listeners";
import { DnsOwnIndex } from "./dns-own-index";
import { SentViews, type SharedGroups } from "./dns-sent-views";
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
    let workloads: Workload[] = [];
    let attachments: Attachment[] = [];
    let ip = 2;
    let id = 0;
    // The store's order (by workload, then network), or the order they came in (a cluster's remote
    // workloads appended): either way records keep their order relative to each other.
    const appended = seed % 2 === 0;
    const sorted = () => (appended ? attachments : [...attachments].sort((a, b) => (a.workloadId + "\t" + a.networkId < b.workloadId + "\t" + b.networkId ? -1 : 1)));
    const attach = (w: Workload, n: string): Attachment => ({ workloadId: w.id, networkId: n, ifname: "eth0", hostIfname: `pv-${w.id}`, mac: "", ip4: `10.1.${ip >> 8}.${ip++ & 255}`, ...(r(4) === 0 ? { ip6: `fd00::${ip++}` } : {}), index: 0, ...(r(4) === 0 ? { aliases: [`alias${r(3)}`] } : {}) });
    const index = new DnsOwnIndex();
    const viaIndex = new SentViews<object>();
    const viaFull = new SentViews<object>();
    let lastIndex = new Map<string, string>();
    for (let step = 0; step < 300; step++) {
      const op = r(10);
      if (op <= 2 || workloads.length < 3) {
        const w: Workload = { id: `w${String(id).padStart(4, "0")}`, name: `w${id++}`, labels: {}, netnsMode: "owned", netns: "x", command: [], env: {}, restart: "no", routes: [], ports: [], state: "running", createdAt: "", ...(r(4) === 0 ? { namespace: "team" } : {}), ...(r(6) === 0 ? { dns: { nameservers: ["9.9.9.9"] } } : {}) } as Workload;
        workloads = [...workloads, w].sort((a, b) => (a.name < b.name ? -1 : 1));
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
        attachments = attachments.map((a, j) => (j === i ? { ...a, aliases: r(2) ? [`alias${r(3)}`] : [] } : a));
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
      attachments = sorted();
      const state: DesiredState = { networks, workloads, attachments, userRules: [], services: [] };
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
    let workloads: Workload[] = [];
    let attachments: Attachment[] = [];
    let id = 0;
    // Small pools: an address is often held by two attachments (overlapping subnets on two networks).
    const addr = () => ({ ip4: `10.1.0.${r(12)}`, ...(r(3) === 0 ? { ip6: `fd00::${r(4)}` } : {}) });
    const attach = (w: Workload, n: string): Attachment => ({ workloadId: w.id, networkId: n, ifname: "eth0", hostIfname: `pv-${w.id}`, mac: "", ...(n === "none" ? {} : addr()), index: 0 });
    const index = new DnsOwnIndex();
    for (let step = 0; step < 300; step++) {
      const op = r(8);
      if (op <= 2 || workloads.length < 3) {
        const w = { id: `w${String(id).padStart(4, "0")}`, name: `w${id++}`, state: "running" } as Workload;
        workloads = [...workloads, w];
        attachments = [...attachments, ...[...new Set([nets[r(4)]!.id, nets[r(4)]!.id])].map((n) => attach(w, n))];
      } else if (op === 3) {
        const w = workloads[r(workloads.length)]!;
        workloads = workloads.filter((x) => x !== w);
        attachments = attachments.filter((a) => a.workloadId !== w.id);
      } else if (op === 4 && attachments.length) {
        const i = r(attachments.length);
        attachments = attachments.map((a, j) => (j === i ? { ...a, ...addr() } : a));
      } else if (op === 5 && attachments.length) {
        const i = r(attachments.length);
        attachments = attachments.filter((_, j) => j !== i);
      } else if (op === 6) {
        const i = r(workloads.length);
        workloads = workloads.map((w, j) => (j === i ? ({ ...w, state: r(2) ? "removing" : "running" } as Workload) : w));
      } else if (op === 7 && r(6) === 0) {
        // A network made internal or open (rebuilds the index).
        const i = r(3);
        networks = networks.map((n, j) => (j === i ? { ...n, internal: !n.internal } : n));
      }
      attachments = [...attachments].sort((a, b) => (a.workloadId + "\t" + a.networkId < b.workloadId + "\t" + b.networkId ? -1 : 1));
      const state: DesiredState = { networks, workloads, attachments, userRules: [], services: [] };
      index.update(state, DOMAIN);
      assert.deepEqual(new Set(index.sealed.keys()), sealedClients(state), `seed ${seed} step ${step}`);
    }
  });
}
