import { test } from "node:test";
import assert from "node:assert/strict";
import { parseProjectFile } from "./project-file";

const NP = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: x}
spec: {podSelector: {}}`;

test("ponton up: namespaces, workload namespace and declared ports, policies inline and as documents", () => {
  const f = parseProjectFile(
    `name: demo
namespaces:
  x: {labels: {team: a}}
workloads:
  web:
    namespace: x
    ports: ["8080:80", {name: http, containerPort: 80, protocol: TCP}]
    expose: ["dns=53/udp"]
policies:
  - apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: allow, namespace: x}
    spec: {podSelector: {}, ingress: [{}]}
---
${NP}
`,
    "p",
  );
  assert.deepEqual(f.namespaces, [{ name: "x", labels: { team: "a" } }]);
  assert.equal(f.workloads[0]!.namespace, "x");
  assert.deepEqual(f.workloads[0]!.ports, ["8080:80"]);
  assert.equal(f.workloads[0]!.exposes!.length, 2);
  assert.deepEqual(f.policies!.map((p) => `${p.namespace}/${p.name}`), ["x/allow", "x/deny"]);
});

test("a bad policy or declared port fails the whole file", () => {
  assert.throws(() => parseProjectFile(`policies: [{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: b}, spec: {podSelector: {}, ingress: [{ports: [{port: 0}]}]}}]`, "p"), /policies\[0\]/);
  assert.throws(() => parseProjectFile(`workloads: {w: {expose: ["Bad_Name=80/tcp"]}}`, "p"), /expose/);
  assert.throws(() => parseProjectFile(`a: 1\n---\nb: 2\n`, "p"), /one project document/);
});
