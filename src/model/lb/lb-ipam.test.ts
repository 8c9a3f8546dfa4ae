import { test } from "node:test";
import assert from "node:assert/strict";
import { assignLbAddresses, type LbClaim } from "./lb-ipam";
import { lbPoolFromManifest, type LbPool } from "./lb-pool";

const pool = (name: string, spec: object): LbPool => lbPoolFromManifest({ apiVersion: "cilium.io/v2alpha1", kind: "CiliumLoadBalancerIPPool", metadata: { name }, spec }, "t");
let n = 0;
const claim = (name: string, extra: Partial<LbClaim> = {}): LbClaim => ({
  id: name, ref: name, namespace: "default", name, labels: {}, families: [4], ports: [{ protocol: "tcp", port: 80 }],
  requested: [], preferred: [], held: [], order: String(n++).padStart(4, "0"), ...extra,
});
const never = () => false;
const ips = (m: Map<string, { ips: string[] }>) => Object.fromEntries([...m].map(([k, v]) => [k, v.ips.join(",")]));

test("lowest free address of the first matching pool by name, in service order; deterministic", () => {
  const pools = [pool("b", { blocks: [{ cidr: "10.0.20.0/30" }] }), pool("a", { blocks: [{ start: "10.0.10.5", stop: "10.0.10.6" }] })];
  const cs = [claim("x"), claim("y"), claim("z")];
  const r = assignLbAddresses(pools, cs, never);
  assert.deepEqual(ips(r), { x: "10.0.10.5", y: "10.0.10.6", z: "10.0.20.0" });
  assert.deepEqual(ips(assignLbAddresses(pools, [...cs].reverse(), never)), ips(r), "the input order does not matter");
});

test("held addresses stay (older services first), a newer one cannot take them; a freed one goes to the next", () => {
  const pools = [pool("a", { blocks: [{ start: "10.0.10.5", stop: "10.0.10.6" }] })];
  const old = claim("old", { held: ["10.0.10.6"] });
  const young = claim("young");
  assert.deepEqual(ips(assignLbAddresses(pools, [young, old], never)), { old: "10.0.10.6", young: "10.0.10.5" });
  // A newer service holding an address an older one also claims: the older (earlier) one keeps it.
  const a = claim("a", { held: ["10.0.10.5"] });
  const b = claim("b", { held: ["10.0.10.5"] });
  assert.deepEqual(ips(assignLbAddresses(pools, [b, a], never)), { a: "10.0.10.5", b: "10.0.10.6" });
});

test("pending with a reason: no pool matches, pool exhausted, requested address taken or in a pool that does not select it", () => {
  const pools = [pool("blue", { blocks: [{ start: "10.0.10.5", stop: "10.0.10.5" }], serviceSelector: { matchLabels: { color: "blue" } } }), pool("off", { blocks: [{ cidr: "10.0.30.0/24" }], disabled: true })];
  const r = assignLbAddresses(pools, [
    claim("red", { labels: { color: "red" } }),
    claim("b1", { labels: { color: "blue" } }),
    claim("b2", { labels: { color: "blue" } }),
    claim("want", { labels: { color: "blue" }, requested: ["10.0.10.5"], ports: [{ protocol: "tcp", port: 443 }] }),
    claim("wrong", { requested: ["10.0.10.5"] }),
    claim("v6", { labels: { color: "blue" }, families: [6] }),
    claim("off", { requested: ["10.0.30.9"] }),
  ], never);
  const pending = Object.fromEntries([...r].map(([k, v]) => [k, v.pending?.code ?? v.ips.join(",")]));
  assert.deepEqual(pending, { red: "NO_POOL", b1: "10.0.10.5", b2: "POOL_EXHAUSTED", want: "ADDRESS_TAKEN", wrong: "NOT_IN_POOL", v6: "NO_POOL", off: "NOT_IN_POOL" });
  assert.match(r.get("want")!.pending!.reason, /requested address 10\.0\.10\.5 is taken by service b1/);
  assert.match(r.get("b2")!.pending!.reason, /every IPv4 address of pool blue is taken/);
  assert.match(r.get("off")!.pending!.reason, /pool off, which is disabled/);
});

test("a disabled pool hands out nothing new, but a service keeps what it holds; a pool selects by name and namespace labels", () => {
  const pools = [pool("p", { blocks: [{ cidr: "10.0.10.0/29" }], disabled: true, serviceSelector: { matchLabels: { "io.kubernetes.service.namespace": "shop" } } })];
  const r = assignLbAddresses(pools, [claim("keep", { namespace: "shop", held: ["10.0.10.3"] }), claim("new", { namespace: "shop" }), claim("other", { held: ["10.0.10.4"] })], never);
  assert.deepEqual(ips(r), { keep: "10.0.10.3", new: "", other: "" });
});

test("sharing key: same key and namespace, different ports share one address; a common port or another namespace does not", () => {
  const pools = [pool("p", { blocks: [{ start: "10.0.10.5", stop: "10.0.10.9" }] })];
  const r = assignLbAddresses(pools, [
    claim("web", { sharingKey: "k" }),
    claim("dns", { sharingKey: "k", ports: [{ protocol: "udp", port: 53 }] }),
    claim("web2", { sharingKey: "k" }),
    claim("elsewhere", { sharingKey: "k", namespace: "x", ports: [{ protocol: "tcp", port: 22 }] }),
    claim("nokey", { ports: [{ protocol: "tcp", port: 25 }] }),
  ], never);
  assert.deepEqual(ips(r), { web: "10.0.10.5", dns: "10.0.10.5", web2: "10.0.10.6", elsewhere: "10.0.10.7", nokey: "10.0.10.8" });
  // Requested addresses share too.
  const s = assignLbAddresses(pools, [claim("a", { sharingKey: "k", requested: ["10.0.10.9"] }), claim("b", { sharingKey: "k", requested: ["10.0.10.9"], ports: [{ protocol: "tcp", port: 81 }] })], never);
  assert.deepEqual(ips(s), { a: "10.0.10.9", b: "10.0.10.9" });
});

test("dual stack: one address per family the service has; preferred addresses are taken when free; blocked addresses are skipped", () => {
  const pools = [pool("p", { blocks: [{ cidr: "10.0.10.0/29" }, { cidr: "fd00:10::/125" }], allowFirstLastIPs: "No" })];
  const r = assignLbAddresses(pools, [claim("d", { families: [4, 6] }), claim("pref", { preferred: ["10.0.10.6", "192.0.2.1"] }), claim("next")], (ip) => ip === "10.0.10.2");
  assert.deepEqual(ips(r), { d: "10.0.10.1,fd00:10::1", pref: "10.0.10.6", next: "10.0.10.3" });
});

test("a requested address no pool holds is the user's own and served as given; of a family the service lacks it is pending", () => {
  const r = assignLbAddresses([], [claim("own", { requested: ["192.0.2.20"] }), claim("fam", { requested: ["2001:db8::1"] })], never);
  assert.deepEqual(ips(r), { own: "192.0.2.20", fam: "" });
  assert.equal(r.get("fam")!.pending!.code, "FAMILY_UNAVAILABLE");
});
