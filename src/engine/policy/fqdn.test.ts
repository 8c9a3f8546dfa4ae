import { test } from "node:test";
import assert from "node:assert/strict";
import * as dnsPacket from "dns-packet";
import type { NftOp } from "../../compile/nft-ops";
import { compilePolicies, parsePolicies, type PolicyWorld } from "../../policy";
import type { EngineContext } from "../context";
import { EngineFqdn } from "./fqdn";
import { carryLines, parseListedMap } from "./fqdn-kernel";

const world: PolicyWorld = { namespaces: [{ name: "x", labels: {} }], workloads: [{ name: "app", namespace: "x", labels: { app: "app" }, ips: ["10.0.0.2"], ports: [] }] };
const plan = compilePolicies(world, parsePolicies(`apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: p, namespace: x}
spec:
  endpointSelector: {}
  egress:
  - toEntities: [host]
    toPorts: [{ports: [{port: "53"}], rules: {dns: [{matchPattern: "*.example.com"}]}}]
  - toFQDNs: [{matchPattern: "*.example.com"}]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]
`));

const answer = (name: string, address: string, ttl: number) =>
  dnsPacket.encode({ type: "response", id: 1, flags: 0, questions: [{ type: "A", name }], answers: [{ type: "A", name, ttl, data: address }] });

function setUp() {
  let clock = 1_000_000;
  const sent: NftOp[][] = [];
  let release: (() => void) | undefined;
  const kernel = { nftOps: (ops: NftOp[]) => { sent.push(ops); return new Promise<"netlink">((r) => (release = () => r("netlink"))); } };
  const f = new EngineFqdn({ kernel } as unknown as EngineContext, 5, () => clock);
  f.setPlan(plan);
  const records: { dns?: { verdict: string } }[] = [];
  f.record = (r) => records.push(r);
  return { f, sent, records, release: () => release!(), tick: (ms: number) => (clock += ms) };
}

test("an answer's element is written with TTL + grace; the answer waits for it; a repeat within the timeout writes nothing", async () => {
  const { f, sent, release, records } = setUp();
  assert.equal(f.watches("10.0.0.2"), true);
  assert.equal(f.watches("::ffff:10.0.0.2"), true, "an IPv4 client on a dual-stack socket");
  const pending = f.answered("10.0.0.2", "www.example.com", "A", answer("www.example.com", "192.0.2.7", 30));
  assert.ok(pending instanceof Promise);
  assert.deepEqual(sent[0]!.map((o) => (o.op === "addElements" ? o.elements : o.op)), [["10.0.0.2 . 192.0.2.7 . 6 . 443 timeout 35000ms : " + plan.dns!.subjects["10.0.0.2"]!.fqdn[0]!.id]]);
  assert.match(f.carry(["pol_fqdn_port_v4"]), /192\.0\.2\.7 \. 6 \. 443 timeout 35000ms expires 35000ms/, "known (and carried) before the write even resolves");
  assert.equal(records.length, 0, "recorded once written");
  release();
  await pending;
  assert.equal(records.length, 1);
  assert.equal(f.answered("10.0.0.2", "www.example.com", "A", answer("www.example.com", "192.0.2.7", 10)), undefined, "already allowed for longer");
  assert.equal(sent.length, 1);
  assert.equal(f.lookup("10.0.0.2", "192.0.2.7", 6, 443)?.names.has("www.example.com"), true);
  assert.equal(f.lookup("10.0.0.2", "192.0.2.7", 6, 80), undefined);
});

test("a failed write forgets the element and rejects (the server answers SERVFAIL)", async () => {
  const { f } = setUp();
  const failing = new EngineFqdn({ kernel: { nftOps: () => Promise.reject(new Error("ENOENT")) } } as unknown as EngineContext, 5);
  failing.setPlan(plan);
  await assert.rejects(failing.answered("10.0.0.2", "a.example.com", "A", answer("a.example.com", "192.0.2.8", 30)) as Promise<void>);
  assert.equal(failing.lookup("10.0.0.2", "192.0.2.8", 6, 443), undefined);
  assert.equal(failing.carry(["pol_fqdn_port_v4"]), "");
  assert.equal(f.allows("10.0.0.2", "evil.org", "A"), false);
  assert.equal(f.allows("10.0.0.9", "evil.org", "A"), true, "not watched");
});

test("elements expire in the mirror too, and are written again on the next answer", async () => {
  const { f, sent, release, tick } = setUp();
  const p = f.answered("10.0.0.2", "www.example.com", "A", answer("www.example.com", "192.0.2.7", 1));
  release();
  await p;
  tick(6001);
  assert.equal(f.lookup("10.0.0.2", "192.0.2.7", 6, 443), undefined);
  assert.equal(f.carry(["pol_fqdn_port_v4"]), "");
  const again = f.answered("10.0.0.2", "www.example.com", "A", answer("www.example.com", "192.0.2.7", 1));
  assert.equal(sent.length, 2);
  release();
  await again;
});

test("nft -j list map output read back; carried lines keep the time left", () => {
  const json = JSON.stringify({ nftables: [{ metainfo: {} }, { map: { name: "pol_fqdn_port_v4", elem: [[{ elem: { val: { concat: ["10.0.0.2", "1.2.3.4", "tcp", 443] }, timeout: 35, expires: 19 } }, 18]] } }, { map: { name: "other", elem: [] } }] });
  const els = parseListedMap(json);
  assert.deepEqual(els, [{ set: "pol_fqdn_port_v4", key: "10.0.0.2 . 1.2.3.4 . 6 . 443", id: 18, timeoutMs: 35000, expiresMs: 19000 }]);
  assert.equal(carryLines("inet ponton", els), "add element inet ponton pol_fqdn_port_v4 { 10.0.0.2 . 1.2.3.4 . 6 . 443 timeout 35000ms expires 19000ms : 18 }\n");
  assert.equal(carryLines("inet ponton", [{ ...els[0]!, expiresMs: 500 }]), "", "about to expire: not carried");
});

test("a client no toFQDNs rule selects any more loses its elements (an address reused later does not inherit them)", async () => {
  const { f, sent, release } = setUp();
  const p = f.answered("10.0.0.2", "www.example.com", "A", answer("www.example.com", "192.0.2.7", 30));
  release();
  await p;
  const gone = compilePolicies({ ...world, workloads: [{ ...world.workloads[0]!, ips: ["10.0.0.3"] }] }, parsePolicies(`apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: p, namespace: x}
spec:
  endpointSelector: {}
  egress:
  - toFQDNs: [{matchPattern: "*.example.com"}]
`));
  assert.deepEqual(f.setPlan(gone), ["10.0.0.3"], "newly watched");
  assert.equal(f.lookup("10.0.0.2", "192.0.2.7", 6, 443), undefined);
  assert.deepEqual(sent.at(-1), [{ op: "deleteElements", set: { name: "pol_fqdn_port_v4", kind: "map", type: "ipv4_addr . ipv4_addr . inet_proto . inet_service : mark", flags: ["timeout"] }, keys: ["10.0.0.2 . 192.0.2.7 . 6 . 443"] }]);
  release();
});
