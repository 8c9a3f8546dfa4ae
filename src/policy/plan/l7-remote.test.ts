import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePolicies } from "./compile";
import { PolicyCompileCache } from "./cache";
import { parsePolicies } from "../parse";
import type { PolicyWorld } from "../types";

// Cluster mode: another node's workload (`node` set) is proxied on its own node, never here; its
// L3/L4 policy still compiles here.
const world = (deathstarNode?: string, shuttleNode?: string): PolicyWorld => ({
  namespaces: [{ name: "default", labels: {} }],
  workloads: [
    { name: "deathstar", namespace: "default", labels: { class: "deathstar" }, ips: ["10.0.1.2", "fd00:1::2"], ports: [], ...(deathstarNode ? { node: deathstarNode } : {}) },
    { name: "tiefighter", namespace: "default", labels: { org: "empire" }, ips: ["10.0.0.3"], ports: [] },
    { name: "shuttle", namespace: "default", labels: { role: "shuttle" }, ips: ["10.0.0.4"], ports: [], ...(shuttleNode ? { node: shuttleNode } : {}) },
  ],
});

const POLICIES = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: landing}
spec:
  endpointSelector: {matchLabels: {class: deathstar}}
  ingress:
  - fromEndpoints: [{matchLabels: {org: empire}}]
    toPorts:
    - ports: [{port: "80", protocol: TCP}]
      rules: {http: [{method: POST, path: /v1/request-landing}]}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: shuttle-out}
spec:
  endpointSelector: {matchLabels: {role: shuttle}}
  egress:
  - toEndpoints: [{matchLabels: {class: deathstar}}]
    toPorts:
    - ports: [{port: "8080", protocol: TCP}]
      rules: {http: [{method: GET}]}
`;

const l7Sets = ["l7_ports4", "l7_ports6", "l7_redirect4", "l7_redirect6", "l7_listen", "l7e_ports4", "l7e_redirect4"];

test("local workloads: a listener for deathstar's two addresses and one for the shuttle's egress", () => {
  const plan = compilePolicies(world(), parsePolicies(POLICIES));
  assert.deepEqual(plan.l7.map((l) => `${l.direction} ${l.ip}:${l.port}`), ["ingress 10.0.1.2:80", "ingress fd00:1::2:80", "egress 10.0.0.4:8080"]);
});

test("another node's guarded workload and client: no listener and no redirect here, the L3/L4 maps unchanged", () => {
  const local = compilePolicies(world(), parsePolicies(POLICIES));
  const remote = compilePolicies(world("n2", "n3"), parsePolicies(POLICIES));
  assert.deepEqual(remote.l7, []);
  for (const name of l7Sets) assert.deepEqual(remote.sets.find((s) => s.name === name)!.elements, [], name);
  const l3l4 = (p: typeof local) => p.sets.filter((s) => !s.name.startsWith("l7")).map((s) => [s.name, s.elements]);
  assert.deepEqual(l3l4(remote), l3l4(local));
});

test("only the remote one goes: deathstar elsewhere, the local shuttle keeps its egress listener", () => {
  const plan = compilePolicies(world("n2"), parsePolicies(POLICIES));
  assert.deepEqual(plan.l7.map((l) => `${l.direction} ${l.ip}:${l.port}`), ["egress 10.0.0.4:8080"]);
  assert.deepEqual(plan.sets.find((s) => s.name === "l7_ports4")!.elements, []);
  assert.deepEqual(plan.sets.find((s) => s.name === "l7e_ports4")!.elements, ["10.0.0.4 . 8080"]);
});

test("the compile cache sees a workload become another node's, and back (nothing else about it changed)", () => {
  const cache = new PolicyCompileCache();
  const policies = parsePolicies(POLICIES);
  for (const w of [world(), world("n2", "n3"), world(), world(undefined, "n3")]) assert.deepEqual(compilePolicies(w, policies, {}, cache), compilePolicies(w, policies));
});
