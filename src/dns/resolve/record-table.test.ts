import assert from "node:assert/strict";
import { test } from "node:test";
import { RecordTable } from "./record-table";
import type { DnsRecord } from "./records";

const a = (name: string, ip: string): DnsRecord => ({ name, type: "A", ttl: 30, data: ip });

test("a view holds its names; other views do not see them", () => {
  const t = new RecordTable();
  t.setView("net-a", [a("web.net-a.cluster.local", "10.0.0.2"), a("web.net-a.cluster.local", "10.0.0.3")]);
  t.setView("net-b", [a("db.net-b.cluster.local", "10.1.0.2")]);
  assert.deepEqual(t.lookup("net-a", "web.net-a.cluster.local")?.byType.get("A")?.map((r) => r.data), ["10.0.0.2", "10.0.0.3"]);
  assert.equal(t.lookup("net-b", "web.net-a.cluster.local"), undefined);
  assert.equal(t.lookup(undefined, "web.net-a.cluster.local"), undefined);
});

test("setView replaces the whole view and notifies listeners", () => {
  const t = new RecordTable();
  const changed: string[] = [];
  t.onChange((v) => changed.push(v));
  t.setView("v", [a("old", "10.0.0.1")]);
  t.setView("v", [a("new", "10.0.0.2")]);
  assert.equal(t.lookup("v", "old"), undefined);
  assert.equal(t.lookup("v", "new")?.all.length, 1);
  assert.equal(t.deleteView("v"), true);
  assert.equal(t.deleteView("v"), false);
  assert.deepEqual(changed, ["v", "v", "v"]);
});

test("ancestors of a name exist (empty non-terminals) but hold no records", () => {
  const t = new RecordTable();
  t.setView("v", [{ name: "_http._tcp.web.cluster.local", type: "SRV", ttl: 5, data: { priority: 0, weight: 0, port: 80, target: "web.cluster.local" } }]);
  assert.equal(t.exists("v", "_tcp.web.cluster.local"), true);
  assert.equal(t.lookup("v", "_tcp.web.cluster.local"), undefined);
  assert.equal(t.exists("v", "other.cluster.local"), false);
});

test("an invalid record is rejected and the view stays as it was", () => {
  const t = new RecordTable();
  t.setView("v", [a("web", "10.0.0.1")]);
  assert.throws(() => t.setView("v", [a("db", "10.0.0.9"), a("Bad.Name.", "10.0.0.2")]), /lowercase FQDN/);
  assert.throws(() => t.setView("v", [a("db", "not-an-ip")]), /IPv4/);
  assert.throws(() => t.setView("v", [{ name: "db", type: "AAAA", ttl: 1, data: "10.0.0.1" }]), /IPv6/);
  assert.equal(t.lookup("v", "web")?.all.length, 1);
  assert.equal(t.lookup("v", "db"), undefined);
});

test("updateNames leaves the view as setView of the whole list would, ancestors included", () => {
  let seed = 3;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
  const pool = ["a.b.c", "b.c", "x.b.c", "y.x.b.c", "c", "d.e", "e", "z.y.x.b.c"];
  let whole = new Map<string, DnsRecord[]>();
  const t = new RecordTable();
  t.setView("v", []);
  const touched: Array<ReadonlySet<string> | undefined> = [];
  t.onChange((_, names) => touched.push(names));
  for (let step = 0; step < 500; step++) {
    const changes = new Map<string, DnsRecord[]>();
    for (let k = rnd(3); k >= 0; k--) {
      const name = pool[rnd(pool.length)]!;
      changes.set(name, Array.from({ length: rnd(3) }, () => a(name, `10.0.0.${rnd(9)}`)));
    }
    const before = new Map([...pool, "b", "x"].map((n) => [n, t.exists("v", n)]));
    t.updateNames("v", changes);
    whole = new Map([...whole, ...changes]);
    const ref = new RecordTable();
    ref.setView("v", [...whole.values()].flat());
    for (const name of [...pool, "b", "x", "nope"]) {
      assert.deepEqual(t.lookup("v", name), ref.lookup("v", name), `${name} at step ${step}`);
      assert.equal(t.exists("v", name), ref.exists("v", name), `${name} exists at step ${step}`);
      // A name whose existence flipped is reported, so answers built from it are dropped.
      if (before.get(name) !== undefined && before.get(name) !== t.exists("v", name)) assert.ok(touched.at(-1)!.has(name), `${name} reported`);
    }
  }
});

test("updateNames rejects a record listed under another name, or invalid, and changes nothing", () => {
  const t = new RecordTable();
  t.setView("v", [a("web", "10.0.0.1")]);
  assert.throws(() => t.updateNames("v", new Map([["db", [a("web", "10.0.0.2")]]])), /listed under db/);
  assert.throws(() => t.updateNames("v", new Map([["web", []], ["db", [a("db", "nope")]]])), /IPv4/);
  assert.equal(t.lookup("v", "web")?.all.length, 1);
});
