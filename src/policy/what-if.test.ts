import { test } from "node:test";
import assert from "node:assert/strict";
import { explain } from "./evaluate";
import { parsePolicies } from "./parse";
import { truthWorld } from "./testing/world";
import { whatIf, withCandidates, type WhatIfConnection } from "./what-if";

const world = truthWorld();
const current = parsePolicies(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{podSelector: {}}]
`);
// Same name: narrows "web" to pod b on port 80.
const candidate = parsePolicies(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{podSelector: {matchLabels: {pod: b}}}]
    ports: [{port: 80}]
`);
const conns: WhatIfConnection[] = [
  { from: "x/b", to: "x/a", port: 80, protocol: "TCP" },
  { from: "x/b", to: "x/a", port: 81, protocol: "TCP" },
  { from: "x/c", to: "x/a", port: 80, protocol: "TCP" },
  { from: "x/a", to: "x/b", port: 80, protocol: "UDP" },
];

test("a same-named candidate replaces the stored policy, others are added", () => {
  assert.equal(withCandidates(current, candidate).length, 1);
  assert.equal(withCandidates(current, candidate)[0], candidate[0]);
  assert.equal(withCandidates([], candidate).length, 1);
});

test("what-if says which seen connections the candidate would deny, and by which policy", () => {
  const out = whatIf(world, current, candidate, conns);
  assert.deepEqual(out.map((o) => [o.allowedNow, o.allowedAfter, o.deniedBy]), [
    [true, true, []],
    [true, false, ["x/web"]],
    [true, false, ["x/web"]],
    [true, true, []],
  ]);
  assert.deepEqual(out[0]!.after.ingress.allowedBy, [{ policy: "x/web", direction: "ingress", ruleIndex: 0 }]);
});

test("what-if after equals explain with the candidate applied, for every connection", () => {
  const applied = withCandidates(current, candidate);
  const out = whatIf(world, current, candidate, conns);
  conns.forEach((c, i) => assert.equal(out[i]!.allowedAfter, explain(world, applied, c).allowed));
});
