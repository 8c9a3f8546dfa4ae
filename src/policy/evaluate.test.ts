import { test } from "node:test";
import assert from "node:assert/strict";
import { PolicyError } from "./errors";
import { createExplainer, explain } from "./evaluate";
import { parsePolicies } from "./parse";
import { truthWorld } from "./testing/world";

const world = truthWorld();
const policies = parsePolicies(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{podSelector: {matchLabels: {pod: b}}}]
  - from: [{namespaceSelector: {}}]
    ports: [{port: 80}]
  - from: [{ipBlock: {cidr: 192.0.2.0/24, except: [192.0.2.128/25]}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: also, namespace: x}
spec:
  podSelector: {}
  ingress:
  - from: [{podSelector: {matchLabels: {pod: b}}}]
    ports: [{port: serve-80-tcp}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: y}
spec:
  podSelector: {matchLabels: {pod: c}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 198.51.100.0/24}}]
    ports: [{port: 443}]
  - to: [{ipBlock: {cidr: "2001:db8::/32"}}]
`);

test("allowedBy lists every admitting rule in policy order; isolatedBy every isolating policy", () => {
  const e = explain(world, policies, { from: "x/b", to: "x/a", port: 80, protocol: "TCP" });
  assert.equal(e.allowed, true);
  assert.deepEqual(e.egress, { tier: "none", isolated: false, allowed: true, allowedBy: [], isolatedBy: [] });
  assert.deepEqual(e.ingress.isolatedBy, ["x/also", "x/web"]);
  assert.deepEqual(e.ingress.allowedBy, [
    { policy: "x/also", direction: "ingress", ruleIndex: 0 },
    { policy: "x/web", direction: "ingress", ruleIndex: 0 },
    { policy: "x/web", direction: "ingress", ruleIndex: 1 },
  ]);
  assert.deepEqual(e.from, { ip: "10.9.0.18", workload: "x/b" });
  assert.deepEqual(e.to, { ip: "10.9.0.17", workload: "x/a" });
});

test("a denied connection names the policies that isolated the destination", () => {
  const e = explain(world, policies, { from: "y/a", to: "x/a", port: 81, protocol: "TCP" });
  assert.equal(e.allowed, false);
  assert.deepEqual(e.ingress, { tier: "networkPolicy", isolated: true, allowed: false, allowedBy: [], isolatedBy: ["x/also", "x/web"] });
});

test("bare outside addresses: ipBlock with except on ingress", () => {
  const q = (from: string) => explain(world, policies, { from, to: "x/a", port: 9, protocol: "UDP" });
  assert.equal(q("192.0.2.7").allowed, true);
  assert.deepEqual(q("192.0.2.7").ingress.allowedBy, [{ policy: "x/web", direction: "ingress", ruleIndex: 2 }]);
  assert.equal(q("192.0.2.200").allowed, false);
  assert.deepEqual(q("192.0.2.200").from, { ip: "192.0.2.200" });
  assert.equal(q("203.0.113.1").allowed, false);
});

test("egress to outside addresses, IPv4 and IPv6; destination outside is never isolated", () => {
  const q = (to: string, port: number) => explain(world, policies, { from: "y/c", to, port, protocol: "TCP" });
  assert.equal(q("198.51.100.9", 443).allowed, true);
  assert.equal(q("198.51.100.9", 80).allowed, false);
  assert.equal(q("2001:db8::5", 80).allowed, true);
  assert.deepEqual(q("2001:db8::5", 80).from, { ip: "fd00:9::2:3", workload: "y/c" });
  assert.equal(q("2001:db8::5", 80).ingress.isolated, false);
  assert.equal(q("2002::1", 80).allowed, false);
});

test("a workload's address is the workload: selectors apply to it", () => {
  const e = explain(world, policies, { from: "10.9.0.18", to: "10.9.0.17", port: 81, protocol: "SCTP" });
  assert.deepEqual(e.from, { ip: "10.9.0.18", workload: "x/b" });
  assert.equal(e.allowed, true);
});

test("family: IPv4 by default, IPv6 on request or implied by an address", () => {
  const ex = createExplainer(world, policies);
  assert.equal(ex({ from: "x/b", to: "x/c", port: 80, protocol: "TCP" }).to.ip, "10.9.0.19");
  assert.equal(ex({ from: "x/b", to: "x/c", port: 80, protocol: "TCP", family: 6 }).to.ip, "fd00:9::1:3");
  assert.equal(ex({ from: "fd00:9::1:2", to: "x/c", port: 80, protocol: "TCP" }).to.ip, "fd00:9::1:3");
});

test("bad queries fail with codes", () => {
  const code = (fn: () => unknown, c: string) => assert.throws(fn, (e: unknown) => e instanceof PolicyError && e.code === (c as never));
  code(() => explain(world, policies, { from: "x/nope", to: "x/a", port: 80, protocol: "TCP" }), "WORKLOAD_NOT_FOUND");
  code(() => explain(world, policies, { from: "x/a", to: "x/b", port: 0, protocol: "TCP" }), "INVALID_ARGUMENT");
  code(() => explain(world, policies, { from: "x/a", to: "x/b", port: 80, protocol: "ICMP" as never }), "INVALID_ARGUMENT");
  code(() => explain(world, policies, { from: "10.0.0.1", to: "fd00::1", port: 80, protocol: "TCP" }), "INVALID_ARGUMENT");
  const v4only = { namespaces: [], workloads: [{ name: "o", namespace: "n", labels: {}, ips: ["10.0.0.1"], ports: [] }] };
  code(() => explain(v4only, [], { from: "n/o", to: "fd00::1", port: 80, protocol: "TCP" }), "INVALID_ARGUMENT");
});

test("world errors: duplicate addresses and workloads", () => {
  const w = (ips: string[][]) => ({ namespaces: [], workloads: ips.map((i, n) => ({ name: `w${n}`, namespace: "n", labels: {}, ips: i, ports: [] })) });
  assert.throws(() => explain(w([["10.0.0.1"], ["10.0.0.1"]]), [], { from: "n/w0", to: "n/w1", port: 1, protocol: "TCP" }), /also an address of n\/w0/);
  assert.throws(() => explain(w([["10.0.0.300"]]), [], { from: "n/w0", to: "n/w0", port: 1, protocol: "TCP" }), /world\.workloads\[0\]\.ips\[0\]/);
});

test("duplicate policy names are rejected", () => {
  assert.throws(() => explain(world, [...policies, policies[0]!], { from: "x/a", to: "x/b", port: 80, protocol: "TCP" }), /duplicate policy x\/web/);
});
