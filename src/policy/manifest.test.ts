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

test("a CiliumNetworkPolicy and a clusterwide one come back from their manifests unchanged", () => {
  const text = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: c1, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
    - fromEndpoints: [{matchLabels: {role: client}}, {matchLabels: {role: probe, io.kubernetes.pod.namespace: y}}]
      toPorts: [{ports: [{port: "80", protocol: TCP}, {port: "9000", endPort: 9100, protocol: UDP}]}]
    - fromCIDRSet: [{cidr: 192.0.2.0/24, except: [192.0.2.128/25]}]
    - fromEntities: [world]
  egressDeny:
    - toEndpoints: [{matchLabels: {app: db}}]
---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: c2}
spec:
  endpointSelector: {}
  ingressDeny:
    - fromEntities: [cluster]
      toPorts: [{ports: [{port: "22", protocol: TCP}]}]
`;
  const policies = parsePolicies(text);
  assert.equal(policies.length, 2);
  for (const p of policies) assert.deepEqual(parsePolicies(stringify(policyManifest(p))), [p], p.name);
});
