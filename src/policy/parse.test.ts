import { test } from "node:test";
import assert from "node:assert/strict";
import { PolicyError } from "./errors";
import { parsePolicies, parsePolicy } from "./parse";

const head = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\n";
const one = (spec: string) => {
  const list = parsePolicies(`${head}spec:\n${spec.replace(/^/gm, "  ")}`);
  assert.equal(list.length, 1);
  return list[0]!;
};

function rejects(text: string, code: string, path: string, fragment?: string): void {
  assert.throws(() => parsePolicies(text), (e: unknown) => {
    assert.ok(e instanceof PolicyError, `not a PolicyError: ${String(e)}`);
    assert.equal(e.code, code);
    assert.ok(e.message.includes(`${path}: `), `message "${e.message}" should name ${path}`);
    if (fragment) assert.ok(e.message.includes(fragment), `message "${e.message}" should say ${fragment}`);
    return true;
  });
}
const bad = (spec: string, path: string, fragment?: string) => rejects(`${head}spec:\n${spec.replace(/^/gm, "  ")}`, "POLICY_INVALID", path, fragment);

test("metadata: namespace defaults to 'default'; name is kept", () => {
  const [p] = parsePolicies("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web}\nspec: {podSelector: {}}\n");
  assert.equal(p!.namespace, "default");
  assert.equal(p!.name, "web");
});

test("policyTypes defaults: Ingress always, Egress only with egress rules", () => {
  assert.deepEqual(one("podSelector: {}").policyTypes, ["Ingress"]);
  assert.deepEqual(one("podSelector: {}\negress: []").policyTypes, ["Ingress"]);
  assert.deepEqual(one("podSelector: {}\negress: [{}]").policyTypes, ["Egress", "Ingress"]);
  assert.deepEqual(one("podSelector: {}\npolicyTypes: []\negress: [{}]").policyTypes, ["Egress", "Ingress"]);
  assert.deepEqual(one("podSelector: {}\npolicyTypes: [Egress]").policyTypes, ["Egress"]);
  assert.deepEqual(one("podSelector: {}\npolicyTypes: [Ingress, Ingress]").policyTypes, ["Ingress"]);
});

test("empty vs absent: ingress, from, ports", () => {
  assert.deepEqual(one("podSelector: {}").ingress, []); // absent: no rule, deny all
  assert.deepEqual(one("podSelector: {}\ningress: []").ingress, []); // empty: same
  assert.deepEqual(one("podSelector: {}\ningress: [{}]").ingress, [{ peers: [], ports: [] }]); // one rule matching all
  assert.deepEqual(one("podSelector: {}\ningress: [{from: [], ports: []}]").ingress, [{ peers: [], ports: [] }]);
  assert.deepEqual(one("podSelector: {}\ningress: [{from: null}]").ingress, [{ peers: [], ports: [] }]);
  assert.deepEqual(one("podSelector: {}\negress: [{to: [], ports: [{}]}]").egress, [{ peers: [], ports: [{ protocol: "TCP" }] }]);
});

test("selectors: empty selects all; absent podSelector is empty; matchExpressions kept", () => {
  assert.deepEqual(one("podSelector: {}").podSelector, { matchLabels: {}, matchExpressions: [] });
  assert.deepEqual(one("policyTypes: [Ingress]").podSelector, { matchLabels: {}, matchExpressions: [] });
  const p = one(`podSelector:
  matchLabels: {app: web, "example.com/tier": front}
  matchExpressions:
  - {key: env, operator: In, values: [prod, staging]}
  - {key: debug, operator: DoesNotExist}`);
  assert.deepEqual(p.podSelector.matchLabels, { app: "web", "example.com/tier": "front" });
  assert.deepEqual(p.podSelector.matchExpressions, [
    { key: "env", operator: "In", values: ["prod", "staging"] },
    { key: "debug", operator: "DoesNotExist", values: [] },
  ]);
});

test("peers: pod, namespace, both, ipBlock", () => {
  const p = one(`podSelector: {}
ingress:
- from:
  - podSelector: {matchLabels: {pod: a}}
  - namespaceSelector: {}
  - namespaceSelector: {matchLabels: {ns: y}}
    podSelector: {}
  - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}`);
  const all = { matchLabels: {}, matchExpressions: [] };
  assert.deepEqual(p.ingress[0]!.peers, [
    { kind: "pods", podSelector: { matchLabels: { pod: "a" }, matchExpressions: [] }, namespaceSelector: null },
    { kind: "pods", podSelector: null, namespaceSelector: all },
    { kind: "pods", podSelector: all, namespaceSelector: { matchLabels: { ns: "y" }, matchExpressions: [] } },
    { kind: "ipBlock", cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] },
  ]);
});

test("ports: protocol default TCP, numeric, named, endPort, protocol only", () => {
  const p = one(`podSelector: {}
ingress:
- ports:
  - port: 80
  - {port: dns, protocol: UDP}
  - {port: 8000, endPort: 8080, protocol: SCTP}
  - protocol: UDP`);
  assert.deepEqual(p.ingress[0]!.ports, [
    { protocol: "TCP", port: 80 },
    { protocol: "UDP", port: "dns" },
    { protocol: "SCTP", port: 8000, endPort: 8080 },
    { protocol: "UDP" },
  ]);
});

test("JSON input and List / multi-document input", () => {
  const json = JSON.stringify({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "j", namespace: "y" }, spec: { podSelector: {}, ingress: [{}] } });
  assert.equal(parsePolicies(json)[0]!.name, "j");
  const list = JSON.stringify({ apiVersion: "v1", kind: "List", items: [JSON.parse(json), { ...JSON.parse(json), metadata: { name: "k" } }] });
  assert.deepEqual(parsePolicies(list).map((p) => `${p.namespace}/${p.name}`), ["y/j", "default/k"]);
  assert.equal(parsePolicies(`${head}spec: {}\n---\n---\n${head.replace("name: p", "name: q")}`).length, 2);
  assert.deepEqual(parsePolicies(""), []);
  // status and extra metadata, as `kubectl get -o yaml` prints them, are fine.
  assert.equal(parsePolicy({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "s", uid: "1", labels: { a: "b" } }, spec: {}, status: {} }).name, "s");
});

test("errors: stable code and the field path", () => {
  bad("podSelector: {}\ningress:\n- from:\n  - podSelector: {}\n  - ipBlock: {cidr: 10.0.0.300/24}", "spec.ingress[0].from[1].ipBlock.cidr", "not a valid CIDR");
  bad("podSelector: {}\ningress:\n- from:\n  - ipBlock: {cidr: 10.0.0.0/24, except: [10.0.1.0/28]}", "spec.ingress[0].from[0].ipBlock.except[0]", "strict subset");
  bad("podSelector: {}\ningress:\n- from:\n  - ipBlock: {cidr: 10.0.0.0/24, except: [10.0.0.0/24]}", "spec.ingress[0].from[0].ipBlock.except[0]", "strict subset");
  bad("podSelector: {}\ningress:\n- from:\n  - ipBlock: {cidr: 10.0.0.0/24, except: [\"fd00::/64\"]}", "spec.ingress[0].from[0].ipBlock.except[0]", "strict subset");
  bad("podSelector: {}\ningress:\n- from:\n  - ipBlock: {}", "spec.ingress[0].from[0].ipBlock.cidr", "required");
  bad("podSelector: {}\ningress:\n- from:\n  - {}", "spec.ingress[0].from[0]", "must specify a peer");
  bad("podSelector: {}\ningress:\n- from:\n  - {podSelector: {}, ipBlock: {cidr: 10.0.0.0/8}}", "spec.ingress[0].from[0]", "both ipBlock and another peer");
  bad("podSelector: {}\negress:\n- ports:\n  - {port: 0}", "spec.egress[0].ports[0].port", "between 1 and 65535");
  bad("podSelector: {}\negress:\n- ports:\n  - {port: \"80\"}", "spec.egress[0].ports[0].port", "at least one letter");
  bad("podSelector: {}\negress:\n- ports:\n  - {port: Web}", "spec.egress[0].ports[0].port");
  bad("podSelector: {}\negress:\n- ports:\n  - {port: 90, endPort: 80}", "spec.egress[0].ports[0].endPort", "greater than or equal");
  bad("podSelector: {}\negress:\n- ports:\n  - {port: web, endPort: 80}", "spec.egress[0].ports[0].endPort", "non-numeric");
  bad("podSelector: {}\negress:\n- ports:\n  - {endPort: 80}", "spec.egress[0].ports[0].endPort", "not specified");
  bad("podSelector: {}\negress:\n- ports:\n  - {protocol: ICMP}", "spec.egress[0].ports[0].protocol", "not supported");
  bad("podSelector: {}\npolicyTypes: [Ingress, Sideways]", "spec.policyTypes[1]");
  bad("podSelector: {}\npolicyTypes: [Ingress, Egress, Ingress]", "spec.policyTypes", "more than two");
  bad("podSelector: {matchExpressions: [{key: a, operator: In}]}", "spec.podSelector.matchExpressions[0].values", "must be specified");
  bad("podSelector: {matchExpressions: [{key: a, operator: Exists, values: [x]}]}", "spec.podSelector.matchExpressions[0].values", "may not be specified");
  bad("podSelector: {matchExpressions: [{key: a, operator: Has}]}", "spec.podSelector.matchExpressions[0].operator", "not supported");
  bad("podSelector: {matchLabels: {\"-bad\": x}}", "spec.podSelector.matchLabels", "key");
  bad("podSelector: {matchLabels: {app: \"no spaces\"}}", "spec.podSelector.matchLabels.app");
  bad("podSelector: {matchLabels: {app: 1}}", "spec.podSelector.matchLabels.app", "string");
  bad("podSelector: {}\ningress:\n- form: []", "spec.ingress[0].form", "unknown field");
  bad("podselector: {}", "spec.podselector", "unknown field");
  bad("podSelector: {}\ningress: {}", "spec.ingress", "must be a list");
  rejects("apiVersion: v1\nkind: NetworkPolicy\nmetadata: {name: p}\n", "POLICY_INVALID", "apiVersion");
  rejects("apiVersion: networking.k8s.io/v1\nkind: Pod\nmetadata: {name: p}\n", "POLICY_INVALID", "kind");
  rejects("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {}\n", "POLICY_INVALID", "metadata.name", "required");
  rejects("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: Bad_Name}\n", "POLICY_INVALID", "metadata.name");
  rejects("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: a.b}\n", "POLICY_INVALID", "metadata.namespace");
});

test("errors in a multi-document file name the document", () => {
  assert.throws(() => parsePolicies(`${head}spec: {}\n---\n${head}spec:\n  ingress:\n  - ports: [{port: 0}]\n`), (e: unknown) => {
    assert.ok(e instanceof PolicyError);
    assert.equal(e.message.split(":")[0], "document 2");
    assert.equal(e.path, "spec.ingress[0].ports[0].port");
    return true;
  });
});

test("YAML syntax errors have code INVALID_YAML", () => {
  assert.throws(() => parsePolicies("spec: [unclosed\n"), (e: unknown) => e instanceof PolicyError && e.code === ("INVALID_YAML" as string));
  assert.throws(() => parsePolicies("a: 1\na: 2\n"), (e: unknown) => e instanceof PolicyError && e.code === ("INVALID_YAML" as string));
});

test("ipBlock: host bits in cidr are accepted, as the API server does", () => {
  const p = one("podSelector: {}\ningress:\n- from:\n  - ipBlock: {cidr: 10.1.2.3/16, except: [10.1.2.0/24]}");
  assert.deepEqual(p.ingress[0]!.peers[0], { kind: "ipBlock", cidr: "10.1.2.3/16", except: ["10.1.2.0/24"] });
});
