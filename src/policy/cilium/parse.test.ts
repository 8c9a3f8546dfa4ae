import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePolicies } from "../parse";
import { PolicyError } from "../errors";

const cnp = (spec: string, kind = "CiliumNetworkPolicy"): string =>
  `apiVersion: cilium.io/v2\nkind: ${kind}\nmetadata: {name: p, namespace: x}\nspec:\n${spec.replace(/^\n/, "").replace(/^/gm, "  ")}`;

function refused(yaml: string, code: string, path: string, words: RegExp): void {
  assert.throws(() => parsePolicies(yaml), (e: unknown) => {
    assert.ok(e instanceof PolicyError);
    assert.equal(e.code, code);
    assert.equal(e.path, path);
    assert.match(e.message, words);
    return true;
  });
}

test("Kafka rules and DNS rules needing a DNS proxy are refused by name, as not implemented yet", () => {
  refused(cnp(`
endpointSelector: {}
ingress:
- toPorts: [{ports: [{port: "9092", protocol: TCP}], rules: {kafka: [{topic: deathstar-plans}]}}]`), "POLICY_NOT_IMPLEMENTED", "spec.ingress[0].toPorts[0].rules.kafka", /L7 rules .* not implemented yet/);
  refused(cnp(`
endpointSelector: {}
egress:
- toPorts: [{ports: [{port: "53", protocol: ANY}], rules: {dns: [{matchPattern: "*"}]}}]`), "POLICY_NOT_IMPLEMENTED", "spec.egress[0].toPorts", /DNS proxy.*not implemented yet/);
  refused(cnp(`
endpointSelector: {}
ingress:
- fromRequires: [{matchLabels: {a: b}}]`), "POLICY_NOT_IMPLEMENTED", "spec.ingress[0].fromRequires", /not implemented yet/);
});

test("typos and bad values are POLICY_INVALID naming the field", () => {
  refused(cnp(`
endpointSelector: {}
ingress:
- fromEndpoint: [{}]`), "POLICY_INVALID", "spec.ingress[0].fromEndpoint", /unknown field/);
  refused(cnp(`
endpointSelector: {}
ingress:
- fromEntities: [everyone]`), "POLICY_INVALID", "spec.ingress[0].fromEntities[0]", /not an entity/);
  refused(cnp(`
endpointSelector: {}
egress:
- toCIDRSet: [{cidr: 10.0.0.0/8, except: [11.0.0.0/16]}]`), "POLICY_INVALID", "spec.egress[0].toCIDRSet[0].except[0]", /strict subset/);
  refused(cnp(`
endpointSelector: {}
ingress:
- toPorts: [{ports: [{port: "80", protocol: GRE}]}]`), "POLICY_INVALID", "spec.ingress[0].toPorts[0].ports[0].protocol", /not supported/);
  refused(cnp(`
ingress: [{}]`), "POLICY_INVALID", "spec.endpointSelector", /required/);
});

test("k8s: prefixes are stripped, ANY expands, port 0 means every port, sections set isolation", () => {
  const [p] = parsePolicies(cnp(`
endpointSelector: {matchLabels: {"k8s:app": web}}
ingress:
- fromEndpoints: [{matchLabels: {"any:role": db}}]
  toPorts: [{ports: [{port: "0"}, {port: "8080", endPort: 8090, protocol: TCP}, {port: http}]}]
egressDeny:
- toEntities: [world]`));
  assert.equal(p!.kind, "CiliumNetworkPolicy");
  assert.deepEqual(p!.podSelector.matchLabels, { app: "web" });
  assert.deepEqual(p!.policyTypes, ["Egress", "Ingress"]);
  assert.deepEqual(p!.ingress[0]!.peers, [{ kind: "endpoints", selector: { matchLabels: { role: "db" }, matchExpressions: [] }, namespace: "x" }]);
  assert.deepEqual(p!.ingress[0]!.ports, [
    { protocol: "TCP" }, { protocol: "UDP" }, { protocol: "SCTP" },
    { protocol: "TCP", port: 8080, endPort: 8090 },
    { protocol: "TCP", port: "http" }, { protocol: "UDP", port: "http" }, { protocol: "SCTP", port: "http" },
  ]);
  assert.deepEqual(p!.egressDeny, [{ peers: [{ kind: "entity", entity: "world" }], ports: [] }]);
});

test("a selector naming the namespace, and a clusterwide policy, reach every namespace", () => {
  const [p] = parsePolicies(cnp(`
endpointSelector: {}
ingress:
- fromEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": y}}, {}]`));
  assert.deepEqual(p!.ingress[0]!.peers.map((x) => x.kind === "endpoints" && x.namespace), [null, "x"]);
  const [c] = parsePolicies(cnp(`
endpointSelector: {}
ingress:
- fromEndpoints: [{}]`, "CiliumClusterwideNetworkPolicy"));
  assert.equal(c!.namespace, "");
  assert.deepEqual(c!.ingress[0]!.peers.map((x) => x.kind === "endpoints" && x.namespace), [null]);
});

test("CiliumNetworkPolicyList items and NetworkPolicies mix in one file", () => {
  const text = `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicyList\nitems:\n- ${cnp(`
endpointSelector: {}
ingress: [{}]`).replace(/\n/g, "\n  ")}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\nspec: {podSelector: {}}`;
  assert.deepEqual(parsePolicies(text).map((p) => p.kind ?? "NetworkPolicy"), ["CiliumNetworkPolicy", "NetworkPolicy"]);
});
