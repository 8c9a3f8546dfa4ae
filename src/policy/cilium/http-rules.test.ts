import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePolicies } from "../parse";
import { PolicyError } from "../errors";

const cnp = (spec: string): string =>
  `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: rule1, namespace: default}\nspec:\n${spec.replace(/^\n/, "").replace(/^/gm, "  ")}`;

function refused(yaml: string, code: string, path: string): void {
  assert.throws(() => parsePolicies(yaml), (e: unknown) => e instanceof PolicyError && e.code === code && e.path === path);
}

test("the seed's deathstar policy parses: the HTTP rules ride on the TCP port they guard", () => {
  const [p] = parsePolicies(cnp(`
description: "L7 policy to restrict access to specific HTTP call"
endpointSelector: {matchLabels: {org: empire, class: deathstar}}
ingress:
- fromEndpoints: [{matchLabels: {org: empire}}]
  toPorts:
  - ports: [{port: "80", protocol: TCP}]
    rules:
      http:
      - method: "POST"
        path: "/v1/request-landing"`));
  assert.deepEqual(p!.ingress[0]!.ports, [{ protocol: "TCP", port: 80, http: [{ method: "POST", path: "/v1/request-landing" }] }]);
});

test("ANY keeps UDP and SCTP at L4 and puts HTTP on TCP only; headers and host are kept", () => {
  const [p] = parsePolicies(cnp(`
endpointSelector: {}
ingress:
- toPorts: [{ports: [{port: "8080"}], rules: {http: [{host: "a\\\\.example", headers: ["X-Token: 1", "X-Any"]}, {}]}}]`));
  assert.deepEqual(p!.ingress[0]!.ports, [
    { protocol: "TCP", port: 8080, http: [{ host: "a\\.example", headers: ["X-Token: 1", "X-Any"] }, {}] },
    { protocol: "UDP", port: 8080 },
    { protocol: "SCTP", port: 8080 },
  ]);
});

test("what the proxy cannot enforce is refused by name", () => {
  const with_ = (ports: string, rules = "{http: [{method: GET}]}", dir = "ingress") => cnp(`
endpointSelector: {}
${dir}:
- toPorts: [{ports: ${ports}, rules: ${rules}}]`);
  // Egress HTTP rules are enforced (the client's requests go through the proxy).
  assert.deepEqual(parsePolicies(with_(`[{port: "80", protocol: TCP}]`, "{http: [{method: GET}]}", "egress"))[0]!.egress[0]!.ports, [{ protocol: "TCP", port: 80, http: [{ method: "GET" }] }]);
  refused(with_(`[{port: "http", protocol: TCP}]`), "POLICY_NOT_IMPLEMENTED", "spec.ingress[0].toPorts[0].ports");
  refused(with_(`[{port: "80", endPort: 90, protocol: TCP}]`), "POLICY_INVALID", "spec.ingress[0].toPorts[0].ports");
  refused(with_(`[{port: "53", protocol: UDP}]`), "POLICY_INVALID", "spec.ingress[0].toPorts[0].ports");
  refused(with_(`[{port: "80", protocol: TCP}]`, "{http: [{path: \"/a(\"}]}"), "POLICY_INVALID", "spec.ingress[0].toPorts[0].rules.http[0].path");
  refused(with_(`[{port: "80", protocol: TCP}]`, "{http: [{headerMatches: [{name: a}]}]}"), "POLICY_NOT_IMPLEMENTED", "spec.ingress[0].toPorts[0].rules.http[0].headerMatches");
  refused(with_(`[{port: "80", protocol: TCP}]`, "{kafka: [{topic: a}]}"), "POLICY_NOT_IMPLEMENTED", "spec.ingress[0].toPorts[0].rules.kafka");
  refused(with_(`[{port: "80", protocol: TCP}]`, "{http: [{verb: GET}]}"), "POLICY_INVALID", "spec.ingress[0].toPorts[0].rules.http[0].verb");
  refused(cnp(`
endpointSelector: {}
ingressDeny:
- toPorts: [{ports: [{port: "80", protocol: TCP}], rules: {http: [{}]}}]`), "POLICY_INVALID", "spec.ingressDeny[0].toPorts[0].rules");
});
