// DnsServer on the native fast path against the same server on Node's dgram: the same bytes and
// the same counters for every kind of query, and view changes seen at once by clients whose
// answers the listener thread already serves.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as dnsPacket from "dns-packet";
import type { DnsRecord } from "../resolve/records";
import { DnsServer } from "./server";
import { query, rcode, type Target, udpQuery, udpRaw } from "../testing/dns-client";

const NET_A = "127.0.0.2";
const NET_B = "127.0.0.3";
const NO_NET = "127.0.0.4";

const recordsA: DnsRecord[] = [
  { name: "web.net-a.cluster.local", type: "A", ttl: 30, data: "10.88.0.3" },
  { name: "web", type: "A", ttl: 30, data: "10.88.0.3" },
  ...Array.from({ length: 60 }, (_, i): DnsRecord => ({ name: "many.net-a.cluster.local", type: "A", ttl: 30, data: `10.89.0.${i + 1}` })),
];

function serve(udp: "native" | "node"): DnsServer {
  const s = new DnsServer({ udp, viewOf: (ip) => ({ [NET_A]: "net-a", [NET_B]: "net-b" })[ip], upstreams: [] });
  s.setView("net-a", recordsA);
  s.setView("net-b", [{ name: "db.net-b.cluster.local", type: "A", ttl: 30, data: "10.99.0.2" }]);
  return s;
}

const servers = { native: serve("native"), node: serve("node") };
const at: Record<keyof typeof servers, Target> = { native: { address: "", port: 0 }, node: { address: "", port: 0 } };

before(async () => {
  at.native = await servers.native.addListener({ address: "127.0.0.1", port: 0 });
  at.node = await servers.node.addListener({ address: "127.0.0.1", port: 0 });
});

after(() => Promise.all([servers.native.close(), servers.node.close()]));

const opt = (flags: number): dnsPacket.Answer => ({ type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags, flag_do: flags !== 0, options: [] });

test("every kind of query gets the same bytes and counters on both paths, repeated ones too", async () => {
  const cases: Array<[string, dnsPacket.Packet]> = [
    [NET_A, query("web.net-a.cluster.local", "A")],
    [NET_A, query("WeB.Net-A.cluster.local", "A")],
    [NET_A, query("web.net-a.cluster.local", "AAAA")],
    [NET_A, query("nope.net-a.cluster.local", "A")],
    [NET_A, query("web", "A", { flags: dnsPacket.CHECKING_DISABLED })],
    [NET_A, query("web.net-a.cluster.local", "A", { additionals: [opt(dnsPacket.DNSSEC_OK)] })],
    [NET_A, query("many.net-a.cluster.local", "A")],
    [NET_A, query("many.net-a.cluster.local", "A", { additionals: [opt(0)] })],
    [NET_A, query("db.net-b.cluster.local", "A")],
    [NET_B, query("db.net-b.cluster.local", "A")],
    [NO_NET, query("web.net-a.cluster.local", "A")],
    [NET_A, query("example.org", "A")],
    [NET_A, { type: "query", id: 1, questions: [{ name: "web", type: "A" }, { name: "web", type: "AAAA" }] }],
  ];
  for (const [from, packet] of cases) {
    for (const id of [1, 2, 0xfffe]) {
      const msg = dnsPacket.encode({ ...packet, id });
      const [native] = await udpRaw(at.native, [msg], { from });
      const [node] = await udpRaw(at.node, [msg], { from });
      assert.ok(node, `node path answered ${packet.questions![0].name} from ${from}`);
      assert.deepEqual(native, node, `${packet.questions![0].name} ${packet.questions![0].type} from ${from}, id ${id}`);
    }
  }
  assert.deepEqual({ ...servers.native.counters(), answeredNatively: 0 }, servers.node.counters());
  assert.ok(servers.native.counters().answeredNatively > 0, "repeated queries were answered by the listener thread");
  assert.ok(servers.native.counters().truncated > 0, "the big answer was truncated to a stub");
});

test("a changed or deleted view is seen at once by a client the listener thread already answers", async () => {
  const ask = async () => udpQuery(at.native, query("web.net-a.cluster.local", "A"), { from: NET_A });
  await ask();
  const served = await ask();
  assert.deepEqual(served.answers!.map((a) => (a as { data: string }).data), ["10.88.0.3"]);
  servers.native.setView("net-a", [{ name: "web.net-a.cluster.local", type: "A", ttl: 30, data: "10.88.0.9" }]);
  const changed = await ask();
  assert.deepEqual(changed.answers!.map((a) => (a as { data: string }).data), ["10.88.0.9"]);
  servers.native.deleteView("net-a");
  assert.equal(rcode(await ask()), "NXDOMAIN");
  servers.native.setView("net-a", recordsA);
});

test("updateNames answers the changed names anew at once; the other names stay with the listener thread", async () => {
  let jsQueries = 0;
  const s = new DnsServer({ viewOf: (ip) => (jsQueries++, ip === NET_A ? "net-a" : undefined), upstreams: [] });
  s.setView("net-a", recordsA);
  const target = await s.addListener({ address: "127.0.0.1", port: 0 });
  const ask = async (name: string, from = NET_A) => {
    const r = await udpQuery(target, query(name, "A"), { from });
    return rcode(r) === "NOERROR" ? r.answers!.map((a) => (a as { data: string }).data) : rcode(r);
  };
  const a = (name: string, data: string): DnsRecord => ({ name, type: "A", ttl: 30, data });
  try {
    for (const name of ["web.net-a.cluster.local", "new.net-a.cluster.local"]) await ask(name);
    const js = jsQueries;
    assert.deepEqual(await ask("web.net-a.cluster.local"), ["10.88.0.3"]);
    assert.equal(await ask("new.net-a.cluster.local"), "NXDOMAIN");
    assert.equal(jsQueries, js, "both answered by the listener thread");

    s.updateNames("net-a", new Map([["new.net-a.cluster.local", [a("new.net-a.cluster.local", "10.88.0.7")]]]));
    assert.deepEqual(await ask("new.net-a.cluster.local"), ["10.88.0.7"]);
    assert.deepEqual(await ask("web.net-a.cluster.local"), ["10.88.0.3"]);
    assert.equal(jsQueries, js + 1, "only the changed name went to JS");
    assert.deepEqual(await ask("new.net-a.cluster.local"), ["10.88.0.7"]);
    assert.equal(jsQueries, js + 1, "and is served natively again");

    s.updateNames("net-a", new Map([["new.net-a.cluster.local", []]]));
    assert.equal(await ask("new.net-a.cluster.local"), "NXDOMAIN");
    // A new name below an answered one turns its NXDOMAIN into NODATA (an empty non-terminal).
    s.updateNames("net-a", new Map([["x.new.net-a.cluster.local", [a("x.new.net-a.cluster.local", "10.88.0.8")]]]));
    const nodata = await udpQuery(target, query("new.net-a.cluster.local", "A"), { from: NET_A });
    assert.deepEqual([rcode(nodata), nodata.answers!.length], ["NOERROR", 0]);

    // A client that moved to another view is asked about again; the others are not.
    assert.deepEqual(await ask("web.net-a.cluster.local", NET_B), "NXDOMAIN");
    const before = jsQueries;
    s.clientsMoved([NET_B]);
    assert.deepEqual(await ask("web.net-a.cluster.local"), ["10.88.0.3"]);
    assert.equal(jsQueries, before);
    assert.equal(await ask("web.net-a.cluster.local", NET_B), "NXDOMAIN");
    assert.equal(jsQueries, before + 1);
  } finally {
    await s.close();
  }
});
