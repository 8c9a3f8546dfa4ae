import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePolicies } from "../plan/compile";
import { parsePolicies } from "../parse";
import type { PolicyWorld } from "../types";

// A Pass for pods scattered over a namespace's addresses used to cut the Deny range of that
// namespace at each of them (bench/policy/admin-compile.ts: 50,001 elements); its boxes now go to
// the pass set and the Deny map is what it is without the Pass.

const world: PolicyWorld = {
  namespaces: [{ name: "staging", labels: { env: "staging" } }, { name: "team", labels: { env: "prod" } }],
  workloads: [
    // Every other staging pod is a cache pod: 10 scattered addresses in one range of 20.
    ...Array.from({ length: 20 }, (_, i) => ({ name: `s${i}`, namespace: "staging", labels: i % 2 ? { tier: "cache" } : {}, ips: [`10.30.0.${10 + i}`], ports: [] })),
    ...Array.from({ length: 4 }, (_, i) => ({ name: `t${i}`, namespace: "team", labels: {}, ips: [`10.30.1.${10 + i}`], ports: [] })),
  ],
};

const anp = (pass: boolean) => `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: team}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress:
${pass ? "  - {action: Pass, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {tier: cache}}}}], ports: [{portNumber: {port: 9100}}]}\n" : ""}  - {action: Deny, from: [{namespaces: {matchLabels: {env: staging}}}]}
`;

const elements = (pass: boolean, name: string) => compilePolicies(world, parsePolicies(anp(pass))).sets.find((s) => s.name === name)?.elements ?? [];

test("a Pass for scattered pods does not split the Deny map: its boxes go to the pass set", () => {
  // The same boxes with and without the Pass (the Deny's id differs: it is rule 1 or rule 0).
  const keys = (es: string[]) => es.map((e) => e.split(" : ")[0]);
  const deny = keys(elements(true, "pol_in_anp_deny_v4"));
  assert.deepEqual(deny, keys(elements(false, "pol_in_anp_deny_v4")));
  // One subject range, one peer range (the staging namespace), every protocol and port.
  assert.deepEqual(deny, ["10.30.1.10-10.30.1.13 . 10.30.0.10-10.30.0.29 . 0-255 . 0-65535"]);
  // One element per cache pod, TCP 9100, for the team's four pods.
  const pass = elements(true, "pol_in_anp_pass_v4");
  assert.equal(pass.length, 10);
  assert.ok(pass.every((e) => /^10\.30\.1\.10-10\.30\.1\.13 \. 10\.30\.0\.\d+ \. 6 \. 9100$/.test(e)), pass.join("\n"));
  assert.deepEqual(elements(false, "pol_in_anp_pass_v4"), []);
});
