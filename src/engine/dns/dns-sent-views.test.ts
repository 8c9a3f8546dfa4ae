// The per-name changes SentViews sends, applied to what the server holds, must give exactly the
// names and record order of the views set whole (dnsViews' order), after any sequence of changes.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { DnsRecord } from "../../dns";
import { SentViews, type SharedGroups, type ViewChanges } from "./dns-sent-views";

interface Group {
  id: number;
  fixed: boolean;
  records: DnsRecord[];
}

const rec = (name: string, data: string): DnsRecord => ({ name, type: "A", ttl: 5, data });

function shared(list: Group[], asked?: Group[]): SharedGroups<Group> {
  return { list, fixed: (g) => g.fixed, records: (g) => (asked?.push(g), g.records) };
}

/** View -> name -> records, as the server's table holds them. */
type Held = Map<string, Map<string, DnsRecord[]>>;

function byName(records: readonly DnsRecord[]): Map<string, DnsRecord[]> {
  const m = new Map<string, DnsRecord[]>();
  for (const r of records) m.set(r.name, [...(m.get(r.name) ?? []), r]);
  return m;
}

function apply(held: Held, changes: ViewChanges, views: Iterable<string>): void {
  for (const [view, records] of changes.created) held.set(view, byName(records));
  for (const [view, names] of changes.updated) {
    const v = held.get(view)!;
    assert.ok(v, `update of a view never created: ${view}`);
    for (const [name, records] of names) {
      assert.ok(records.every((r) => r.name === name));
      if (records.length) v.set(name, records);
      else v.delete(name);
    }
  }
  const keep = new Set(views);
  for (const view of held.keys()) if (!keep.has(view)) held.delete(view);
}

function expected(own: Map<string, DnsRecord[]>, groups: Group[]): Held {
  return new Map([...own].map(([view, records]) => [view, byName([...records, ...groups.flatMap((g) => g.records)])]));
}

/** A small deterministic PRNG, so a failure replays. */
function prng(seed: number) {
  return (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
}

test("random changes to services and workloads: the views held equal the views set whole, record order included", () => {
  const rnd = prng(7);
  let nextId = 0;
  // Few names, so names collide between groups, and between a view's workloads and the services.
  const names = ["a.x", "b.x", "c.x", "d.x", "e.x", "f.x", "x"];
  const someRecords = () => Array.from({ length: 1 + rnd(3) }, () => rec(names[rnd(names.length)]!, `10.0.0.${rnd(4)}`));
  const group = (): Group => ({ id: nextId++, fixed: rnd(3) > 0, records: someRecords() });
  let groups: Group[] = Array.from({ length: 20 }, group);
  const own = new Map<string, DnsRecord[]>([
    ["v1", someRecords()],
    ["v2", []],
  ]);
  const sent = new SentViews<Group>();
  const held: Held = new Map();
  for (let step = 0; step < 2000; step++) {
    groups = [...groups];
    switch (rnd(9)) {
      case 0:
        groups.splice(rnd(groups.length + 1), 0, group());
        break;
      case 1:
        if (groups.length) groups.splice(rnd(groups.length), 1);
        break;
      case 2: // a service changed: a new stored record
        if (groups.length) groups[rnd(groups.length)] = group();
        break;
      case 3: {
        // a headless service's endpoints changed: same object, new records
        const dynamic = groups.filter((g) => !g.fixed);
        if (dynamic.length) dynamic[rnd(dynamic.length)]!.records = someRecords();
        break;
      }
      case 4: {
        // two services swap places
        const [i, j] = [rnd(groups.length || 1), rnd(groups.length || 1)];
        if (groups.length) [groups[i], groups[j]] = [groups[j]!, groups[i]!];
        break;
      }
      case 5:
        own.set(`v${1 + rnd(3)}`, someRecords());
        break;
      case 6:
        own.delete(`v${1 + rnd(3)}`);
        break;
      case 7: // a sync with nothing changed but a fresh copy of the list
        break;
      case 8:
        groups.splice(rnd(groups.length + 1), 0, group(), group(), group());
        if (groups.length > 6) groups.splice(rnd(groups.length - 3), 3);
        break;
    }
    apply(held, sent.next(own, shared(groups)), own.keys());
    assert.deepEqual(held, expected(own, groups), `step ${step}`);
  }
});

test("an unchanged state sends nothing, and asks fixed groups for their records once", () => {
  const groups: Group[] = Array.from({ length: 100 }, (_, i) => ({ id: i, fixed: true, records: [rec(`s${i}.x`, "10.0.0.1")] }));
  const own = new Map([["v", [rec("w.x", "10.1.0.1")]]]);
  const sent = new SentViews<Group>();
  const asked: Group[] = [];
  const first = sent.next(own, shared(groups, asked));
  assert.equal(first.created.get("v")!.length, 101);
  assert.equal(asked.length, 100);
  const again = sent.next(new Map([["v", [rec("w.x", "10.1.0.1")]]]), shared([...groups], asked));
  assert.deepEqual([again.created.size, again.updated.size, asked.length], [0, 0, 100]);
});

test("one service added or removed among 10,000 sends its names only, to every view", () => {
  const groups: Group[] = Array.from({ length: 10000 }, (_, i) => ({ id: i, fixed: true, records: [rec(`s${i}.x`, "10.0.0.1"), rec(`${i}.rev`, "10.0.0.1")] }));
  const own = new Map([
    ["v1", [rec("w.x", "10.1.0.1")]],
    ["v2", []],
  ]);
  const sent = new SentViews<Group>();
  sent.next(own, shared(groups));
  const added = { id: -1, fixed: true, records: [rec("new.x", "10.0.0.9"), rec("9.rev", "10.0.0.9")] };
  const withNew = [...groups.slice(0, 5000), added, ...groups.slice(5000)];
  const add = sent.next(own, shared(withNew));
  for (const view of ["v1", "v2"]) assert.deepEqual([...add.updated.get(view)!.keys()].sort(), ["9.rev", "new.x"]);
  const remove = sent.next(own, shared(withNew.filter((g) => g.id !== 42)));
  assert.deepEqual([...remove.updated.get("v1")!], [
    ["s42.x", []],
    ["42.rev", []],
  ]);
});

test("a name shared by a workload and services lists the workload's records, then the services' in list order", () => {
  const g1: Group = { id: 1, fixed: true, records: [rec("n.x", "10.0.0.1")] };
  const g2: Group = { id: 2, fixed: true, records: [rec("n.x", "10.0.0.2")] };
  const own = new Map([["v", [rec("n.x", "10.0.0.9")]]]);
  const sent = new SentViews<Group>();
  sent.next(own, shared([g1]));
  const g0: Group = { id: 0, fixed: true, records: [rec("n.x", "10.0.0.0")] };
  const changes = sent.next(own, shared([g0, g1, g2]));
  assert.deepEqual(changes.updated.get("v")!.get("n.x")!.map((r) => r.data), ["10.0.0.9", "10.0.0.0", "10.0.0.1", "10.0.0.2"]);
});

test("a forgotten view is sent whole again", () => {
  const groups: Group[] = [{ id: 1, fixed: true, records: [rec("s.x", "10.0.0.1")] }];
  const own = new Map([["v", [rec("w.x", "10.1.0.1")]]]);
  const sent = new SentViews<Group>();
  sent.next(own, shared(groups));
  sent.forget("v");
  assert.deepEqual(sent.next(own, shared(groups)).created.get("v")!.map((r) => r.name), ["w.x", "s.x"]);
});

test("a group whose records throw fails the sync, and the next one sends every view whole", () => {
  const ok: Group = { id: 1, fixed: true, records: [rec("s.x", "10.0.0.1")] };
  const own = new Map([["v", [rec("w.x", "10.1.0.1")]]]);
  const sent = new SentViews<Group>();
  sent.next(own, shared([ok]));
  const added: Group = { id: 2, fixed: true, records: [rec("t.x", "10.0.0.2")] };
  const bad = { ...shared([ok, added, { id: 3, fixed: true, records: [] }]), records: (g: Group) => (g.id === 3 ? assert.fail("bad") : g.records) };
  assert.throws(() => sent.next(own, bad), /bad/);
  assert.deepEqual(sent.next(own, shared([ok, added])).created.get("v")!.map((r) => r.name), ["w.x", "s.x", "t.x"]);
});

test("as the DNS sync sees pods: a service made again each sync, a headless one, then many groups in sorted order taking random inserts and removals", () => {
  const rnd = prng(11);
  let nextId = 0;
  // Pods' names are their own (a few shared: one address on two networks), the services' their own.
  const pod = (): Group => {
    const n = rnd(400);
    return { id: nextId++, fixed: true, records: [rec(`p${n}.pod`, `10.2.${n >> 8}.${n & 255}`)] };
  };
  const headless: Group = { id: -2, fixed: false, records: [rec("h.svc", "10.3.0.1")] };
  const version: Group = { id: -3, fixed: true, records: [rec("dns-version", "1")] };
  let pods: Group[] = Array.from({ length: 300 }, pod);
  const own = new Map([["v", [rec("w.x", "10.1.0.1")]]]);
  const sent = new SentViews<Group>();
  const held: Held = new Map();
  for (let step = 0; step < 1500; step++) {
    pods = [...pods];
    const op = rnd(6);
    if (op <= 1) pods.splice(rnd(pods.length + 1), 0, pod());
    else if (op === 2 && pods.length) pods.splice(rnd(pods.length), 1);
    else if (op === 3) headless.records = rnd(2) ? [rec("h.svc", `10.3.0.${rnd(3)}`), rec(`${rnd(3)}.h.svc`, "10.3.0.9")] : [];
    else if (op === 4 && pods.length > 2) {
      // A pod's first holder changed: its group moves.
      const [g] = pods.splice(rnd(pods.length), 1);
      pods.splice(rnd(pods.length + 1), 0, g!);
    }
    const builtin: Group = { id: -1, fixed: true, records: [rec("kubernetes.svc", "10.96.0.1")] };
    const groups = [builtin, headless, version, ...pods];
    apply(held, sent.next(own, shared(groups)), own.keys());
    assert.deepEqual(held, expected(own, groups), `step ${step}`);
  }
});
