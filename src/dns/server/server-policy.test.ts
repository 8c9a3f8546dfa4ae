// Loopback: a per-client DNS policy (the engine's rules.dns / toFQDNs) on the native and JS paths.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as dnsPacket from "dns-packet";
import type { DnsPolicyHook } from "./dns-policy";
import { DnsServer } from "./server";
import { query, rcode, tcpQuery, udpQuery } from "../testing/dns-client";
import { FakeUpstream } from "../testing/fake-upstream";

class FakePolicy implements DnsPolicyHook {
  watched = false;
  seen: string[] = [];
  gate: (() => Promise<void>) | undefined;
  watches = (): boolean => this.watched;
  allows = (_c: string, name: string): boolean => name.endsWith(".example.org");
  answered = (_c: string, name: string, _t: string, res: Buffer): Promise<void> | void => {
    this.seen.push(`${name} ${(dnsPacket.decode(res).answers ?? []).length}`);
    return this.gate?.();
  };
}

async function withServer(fn: (s: DnsServer, at: { address: string; port: number }, p: FakePolicy) => Promise<void>): Promise<void> {
  const policy = new FakePolicy();
  const up = await FakeUpstream.start({ address: "127.0.0.31" });
  const server = new DnsServer({ viewOf: () => "v", policy });
  try {
    server.setUpstreams([{ address: up.address, port: up.port }]);
    server.setView("v", [{ name: "web.cluster.local", type: "A", ttl: 30, data: "10.88.0.3" }]);
    const at = await server.addListener({ address: "127.0.0.1", port: 0 });
    await fn(server, at, policy);
  } finally {
    await server.close();
    await up.close();
  }
}

test("a watched client gets REFUSED for a name its policy does not allow, on the native path too", async () => {
  await withServer(async (s, at, p) => {
    // Unwatched: answered, and the native threads learn the client (the next answer is theirs).
    assert.equal(rcode(await udpQuery(at, query("web.cluster.local", "A"))), "NOERROR");
    assert.equal(rcode(await udpQuery(at, query("web.cluster.local", "A"))), "NOERROR");
    assert.ok(s.counters().answeredNatively >= 1, "served natively while unwatched");
    p.watched = true;
    s.clientsMoved(["127.0.0.1"]);
    assert.equal(rcode(await udpQuery(at, query("web.cluster.local", "A"))), "REFUSED");
    assert.equal(rcode(await udpQuery(at, query("web.cluster.local", "A"))), "REFUSED", "never bound again");
    assert.equal(rcode(await tcpQuery(at, query("evil.com", "A"))), "REFUSED");
    assert.equal(s.counters().policyRefused, 3);
    assert.equal(rcode(await udpQuery(at, query("www.example.org", "A"))), "NOERROR");
    assert.deepEqual(p.seen, ["www.example.org 1"], "the policy saw the allowed answer");
  });
});

test("the answer leaves only after the policy's write resolved; a failed write is SERVFAIL", async () => {
  await withServer(async (_s, at, p) => {
    p.watched = true;
    let written = false;
    p.gate = () => new Promise((resolve) => setTimeout(() => { written = true; resolve(); }, 100));
    const r = await udpQuery(at, query("www.example.org", "A"));
    assert.equal(rcode(r), "NOERROR");
    assert.ok(written, "the client got the answer after the write, never before");
    p.gate = () => Promise.reject(new Error("kernel said no"));
    assert.equal(rcode(await udpQuery(at, query("api.example.org", "A"))), "SERVFAIL");
  });
});
