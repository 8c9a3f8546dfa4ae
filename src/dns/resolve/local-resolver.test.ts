import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveLocal } from "./local-resolver";
import { LocalZones } from "./local-zones";
import { RecordTable } from "./record-table";

function setup() {
  const t = new RecordTable();
  t.setView("v", [
    { name: "web.cluster.local", type: "A", ttl: 30, data: "10.0.0.2" },
    { name: "alias.cluster.local", type: "CNAME", ttl: 30, data: "web.cluster.local" },
    { name: "dangling.cluster.local", type: "CNAME", ttl: 30, data: "gone.cluster.local" },
    { name: "outside.cluster.local", type: "CNAME", ttl: 30, data: "www.example.org" },
    { name: "db.net0.ponton", type: "A", ttl: 30, data: "10.0.0.3" },
    { name: "2.0.0.10.in-addr.arpa", type: "PTR", ttl: 30, data: "web.cluster.local" },
  ]);
  return { t, z: new LocalZones(["cluster.local", "net0.ponton"]) };
}

test("names outside local zones and absent from the view are not ours (forwarded)", () => {
  const { t, z } = setup();
  assert.equal(resolveLocal(t, z, "v", "www.example.org", "A", "IN"), undefined);
  assert.equal(resolveLocal(t, z, "v", "9.9.9.9.in-addr.arpa", "PTR", "IN"), undefined);
});

test("a PTR name present in the view is answered even outside the local zones", () => {
  const { t, z } = setup();
  const r = resolveLocal(t, z, "v", "2.0.0.10.in-addr.arpa", "PTR", "IN")!;
  assert.deepEqual(r.answers.map((x) => x.data), ["web.cluster.local"]);
});

test("missing local name: NXDOMAIN with the zone for the SOA; wrong type: NODATA", () => {
  const { t, z } = setup();
  const nx = resolveLocal(t, z, "v", "nope.cluster.local", "A", "IN")!;
  assert.deepEqual([nx.rcode, nx.negative, nx.zone, nx.answers.length], ["NXDOMAIN", true, "cluster.local", 0]);
  const nodata = resolveLocal(t, z, "v", "web.cluster.local", "TXT", "IN")!;
  assert.deepEqual([nodata.rcode, nodata.negative, nodata.answers.length], ["NOERROR", true, 0]);
  const unknown = resolveLocal(t, z, "v", "web.cluster.local", "UNKNOWN_65", "IN")!;
  assert.deepEqual([unknown.rcode, unknown.negative], ["NOERROR", true]);
});

test("single-label names: found through the search suffixes in order, else not ours (forwarded)", () => {
  const { t, z } = setup();
  assert.equal(resolveLocal(t, z, "v", "printer", "A", "IN", ["net0.ponton", "cluster.local"]), undefined);
  const r = resolveLocal(t, z, "v", "db", "A", "IN", ["net0.ponton"])!;
  assert.equal(r.expandedTo, "db.net0.ponton");
  assert.deepEqual(r.answers.map((x) => [x.name, x.data]), [["db", "10.0.0.3"]]);
  const second = resolveLocal(t, z, "v", "web", "A", "IN", ["net0.ponton", "cluster.local"])!;
  assert.deepEqual([second.expandedTo, second.consulted], ["web.cluster.local", ["web", "web.net0.ponton", "web.cluster.local"]]);
  assert.equal(resolveLocal(t, z, "other", "db", "A", "IN", ["net0.ponton"]), undefined);
});

test("CNAME is chased inside local data; a dangling local target is NXDOMAIN; an outside target stops the chase", () => {
  const { t, z } = setup();
  const r = resolveLocal(t, z, "v", "alias.cluster.local", "A", "IN")!;
  assert.deepEqual(r.answers.map((x) => x.type), ["CNAME", "A"]);
  assert.equal(r.rcode, "NOERROR");
  const d = resolveLocal(t, z, "v", "dangling.cluster.local", "A", "IN")!;
  assert.deepEqual([d.rcode, d.answers.length], ["NXDOMAIN", 1]);
  const o = resolveLocal(t, z, "v", "outside.cluster.local", "A", "IN")!;
  assert.deepEqual([o.rcode, o.negative, o.answers.map((x) => x.type)], ["NOERROR", false, ["CNAME"]]);
  const c = resolveLocal(t, z, "v", "alias.cluster.local", "CNAME", "IN")!;
  assert.deepEqual(c.answers.map((x) => x.type), ["CNAME"]);
});

test("zone transfers and foreign classes are NOTIMP for local names", () => {
  const { t, z } = setup();
  assert.equal(resolveLocal(t, z, "v", "web.cluster.local", "AXFR", "IN")!.rcode, "NOTIMP");
  assert.equal(resolveLocal(t, z, "v", "web.cluster.local", "A", "CH")!.rcode, "NOTIMP");
});

test("another view's name is NXDOMAIN, not forwarded", () => {
  const { t, z } = setup();
  t.setView("other", []);
  assert.equal(resolveLocal(t, z, "other", "web.cluster.local", "A", "IN")!.rcode, "NXDOMAIN");
  assert.equal(resolveLocal(t, z, undefined, "web.cluster.local", "A", "IN")!.rcode, "NXDOMAIN");
});
