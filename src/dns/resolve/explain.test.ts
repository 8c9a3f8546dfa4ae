import assert from "node:assert/strict";
import { test } from "node:test";
import { DnsServer } from "../server/server";

function server() {
  const s = new DnsServer({
    viewOf: (ip) => ({ "10.88.0.2": "net-a", "10.99.0.2": "net-b" })[ip],
    upstreams: [{ address: "127.0.0.1", port: 5353 }, { address: "::1", port: 53 }],
    searchDomain: "ponton.internal",
  });
  s.setView("net-a", [
    { name: "web.ponton.internal", type: "A", ttl: 30, data: "10.88.0.3" },
    { name: "www.ponton.internal", type: "CNAME", ttl: 30, data: "web.ponton.internal" },
  ]);
  s.setView("net-b", []);
  return s;
}

test("explain: a local name shows the view and the records, CNAME chain first", () => {
  const e = server().explain("WWW.ponton.internal.", "a", "10.88.0.2");
  assert.equal(e.view, "net-a");
  assert.equal(e.outcome, "local");
  assert.equal(e.rcode, "NOERROR");
  assert.deepEqual(e.records.map((r) => `${r.type} ${r.data}`), ["CNAME web.ponton.internal", "A 10.88.0.3"]);
  assert.match(e.summary, /view net-a: 2 records/);
});

test("explain: a name of another network is NXDOMAIN in the local zone", () => {
  const e = server().explain("web.ponton.internal", "A", "10.99.0.2");
  assert.deepEqual([e.view, e.outcome, e.rcode, e.zone], ["net-b", "local", "NXDOMAIN", "ponton.internal"]);
  assert.match(e.summary, /^NXDOMAIN \(local zone ponton.internal/);
});

test("explain: a single-label name is found through the search domain", () => {
  const e = server().explain("web", "A", "10.88.0.2");
  assert.equal(e.expandedTo, "web.ponton.internal");
  assert.deepEqual(e.records.map((r) => r.name), ["web"]);
});

test("explain: other names say where they would be forwarded; an unknown client has no view", () => {
  const e = server().explain("example.org", "AAAA", "192.0.2.77");
  assert.equal(e.view, null);
  assert.equal(e.outcome, "forward");
  assert.deepEqual(e.upstreams, ["127.0.0.1:5353", "[::1]:53"]);
  assert.equal(e.summary, "forwarded to 127.0.0.1:5353, then [::1]:53");
  const none = new DnsServer({ viewOf: () => undefined }).explain("example.org", "A", "10.0.0.1");
  assert.equal(none.summary, "SERVFAIL: no upstream configured");
});

test("explain: a client of a sealed (internal) network is told REFUSED for other names, local ones as usual", () => {
  const s = server();
  const e = s.explain("example.org", "A", "10.88.0.2", true);
  assert.deepEqual([e.outcome, e.rcode, e.records.length], ["refused", "REFUSED", 0]);
  assert.match(e.summary, /^REFUSED: an internal network/);
  assert.equal(s.explain("web.ponton.internal", "A", "10.88.0.2", true).outcome, "local");
});
