import { test } from "node:test";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { policyManifest } from "./manifest";
import { parsePolicies } from "./parse";
import { TRUTH_CASES } from "./testing/truth-cases";

test("every truth-case policy comes back from its manifest unchanged", () => {
  let n = 0;
  for (const c of TRUTH_CASES) {
    for (const p of parsePolicies(c.yaml)) {
      assert.deepEqual(parsePolicies(stringify(policyManifest(p))), [p], c.name);
      n++;
    }
  }
  assert.ok(n > 30);
});

test("the log annotation and empty rules survive the round trip", () => {
  const text = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a, namespace: x, annotations: {ponton.dev/log: "allowed,ingress[1]"}}
spec:
  podSelector: {matchExpressions: [{key: pod, operator: Exists}]}
  ingress: [{}, {ports: [{port: 80, endPort: 90}]}]
  egress: []
  policyTypes: [Egress, Ingress]`;
  const [p] = parsePolicies(text);
  assert.deepEqual(parsePolicies(stringify(policyManifest(p!))), [p]);
  assert.deepEqual((policyManifest(p!).metadata as { annotations: unknown }).annotations, { "ponton.dev/log": "allowed,ingress[1]" });
});
