// A local CNAME to an outside name (ExternalName services) is followed upstream; loopback only.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DnsServer } from "../server/server";
import { query, rcode, udpQuery } from "../testing/dns-client";
import { FakeUpstream } from "../testing/fake-upstream";

test("a CNAME to an outside name is answered with the chain and the upstream's records", async () => {
  const up = await FakeUpstream.start({ address: "127.0.0.31" });
  const server = new DnsServer({ viewOf: () => "v", localZones: ["cluster.local"] });
  try {
    server.setUpstreams([{ address: up.address, port: up.port }]);
    server.setView("v", [
      { name: "db.x.svc.cluster.local", type: "CNAME", ttl: 5, data: "db.example.org" },
      { name: "nx.x.svc.cluster.local", type: "CNAME", ttl: 5, data: "nxhost.example.org" },
    ]);
    const at = await server.addListener({ address: "127.0.0.1", port: 0 });
    const r = await udpQuery(at, query("db.x.svc.cluster.local", "A"));
    assert.equal(rcode(r), "NOERROR");
    assert.deepEqual(r.answers!.map((a) => a.type), ["CNAME", "A"]);
    assert.equal((r.answers![1] as { name: string }).name, "db.example.org");
    // Asked for the CNAME itself: the local record only, nothing forwarded.
    const before = up.count();
    const c = await udpQuery(at, query("db.x.svc.cluster.local", "CNAME"));
    assert.deepEqual(c.answers!.map((a) => a.type), ["CNAME"]);
    assert.equal(up.count(), before);
    // The target does not exist upstream: the chain with the upstream's NXDOMAIN.
    const nx = await udpQuery(at, query("nx.x.svc.cluster.local", "A"));
    assert.equal(rcode(nx), "NXDOMAIN");
    assert.deepEqual(nx.answers!.map((a) => a.type), ["CNAME"]);
  } finally {
    await server.close();
    await up.close();
  }
});
