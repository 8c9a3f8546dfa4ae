import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePolicies, parsePolicy } from "../parse";
import { PolicyError } from "../errors";
import { policyKey } from "../world";
import { policyManifest } from "../manifest";
import { ADMIN_CASES } from "./cases";

const anp = (spec: Record<string, unknown>, name = "p") => ({ apiVersion: "policy.networking.k8s.io/v1alpha1", kind: "AdminNetworkPolicy", metadata: { name }, spec });
const subject = { namespaces: { matchLabels: { ns: "x" } } };

function refused(v: unknown, code: string, path: string): void {
  assert.throws(() => parsePolicy(v), (e: unknown) => e instanceof PolicyError && e.code === code && e.path === path, `${code} at ${path}`);
}

test("an AdminNetworkPolicy parses into the tier model and never isolates", () => {
  const p = parsePolicy(anp({
    priority: 10,
    subject: { pods: { namespaceSelector: { matchLabels: { ns: "x" } }, podSelector: { matchLabels: { pod: "a" } } } },
    ingress: [{ name: "from-y", action: "Pass", from: [{ namespaces: { matchLabels: { ns: "y" } } }, { pods: { namespaceSelector: {}, podSelector: { matchLabels: { pod: "b" } } } }], ports: [{ portNumber: { port: 80 } }, { portRange: { protocol: "UDP", start: 1000, end: 2000 } }, { namedPort: "web" }] }],
    egress: [{ action: "Deny", to: [{ networks: ["10.0.0.0/8", "fd00::/8"] }] }],
  }));
  assert.equal(policyKey(p), "anp:p");
  assert.deepEqual(p.policyTypes, []);
  assert.equal(p.namespace, "");
  assert.deepEqual(p.admin?.subject, { namespaceSelector: { matchLabels: { ns: "x" }, matchExpressions: [] }, podSelector: { matchLabels: { pod: "a" }, matchExpressions: [] } });
  const rule = p.admin!.ingress[0]!;
  assert.equal(rule.action, "Pass");
  assert.equal(rule.name, "from-y");
  assert.deepEqual(rule.peers, [
    { kind: "pods", podSelector: null, namespaceSelector: { matchLabels: { ns: "y" }, matchExpressions: [] } },
    { kind: "pods", podSelector: { matchLabels: { pod: "b" }, matchExpressions: [] }, namespaceSelector: { matchLabels: {}, matchExpressions: [] } },
  ]);
  // A named port has no protocol of its own: it matches the name on whichever protocol declares it.
  assert.deepEqual(rule.ports, [
    { protocol: "TCP", port: 80 },
    { protocol: "UDP", port: 1000, endPort: 2000 },
    { protocol: "TCP", port: "web" }, { protocol: "UDP", port: "web" }, { protocol: "SCTP", port: "web" },
  ]);
  assert.deepEqual(p.admin!.egress[0]!.peers, [{ kind: "ipBlock", cidr: "10.0.0.0/8", except: [] }, { kind: "ipBlock", cidr: "fd00::/8", except: [] }]);
});

test("the baseline is one policy named default, with Allow and Deny only", () => {
  const banp = (name: string, action: string) => ({ apiVersion: "policy.networking.k8s.io/v1alpha1", kind: "BaselineAdminNetworkPolicy", metadata: { name }, spec: { subject: { namespaces: {} }, ingress: [{ action, from: [{ namespaces: {} }] }] } });
  const p = parsePolicy(banp("default", "Deny"));
  assert.equal(policyKey(p), "banp:default");
  assert.equal(p.admin?.tier, "baseline");
  refused(banp("other", "Deny"), "POLICY_INVALID", "metadata.name");
  refused(banp("default", "Pass"), "POLICY_INVALID", "spec.ingress[0].action");
  refused({ ...banp("default", "Deny"), spec: { priority: 3, subject: { namespaces: {} } } }, "POLICY_INVALID", "spec.priority");
});

test("validation follows the CRD: priority range, one field per subject, peer and port, from/to required", () => {
  refused(anp({ subject }), "POLICY_INVALID", "spec.priority");
  refused(anp({ priority: 1001, subject }), "POLICY_INVALID", "spec.priority");
  refused(anp({ priority: 1 }), "POLICY_INVALID", "spec.subject");
  refused(anp({ priority: 1, subject: { namespaces: {}, pods: { namespaceSelector: {}, podSelector: {} } } }), "POLICY_INVALID", "spec.subject");
  refused(anp({ priority: 1, subject: { pods: { namespaceSelector: {} } } }), "POLICY_INVALID", "spec.subject.pods.podSelector");
  refused(anp({ priority: 1, subject, ingress: [{ action: "Allow" }] }), "POLICY_INVALID", "spec.ingress[0].from");
  refused(anp({ priority: 1, subject, ingress: [{ action: "Allow", from: [] }] }), "POLICY_INVALID", "spec.ingress[0].from");
  refused(anp({ priority: 1, subject, ingress: [{ from: [{ namespaces: {} }] }] }), "POLICY_INVALID", "spec.ingress[0].action");
  refused(anp({ priority: 1, subject, ingress: [{ action: "Reject", from: [{ namespaces: {} }] }] }), "POLICY_INVALID", "spec.ingress[0].action");
  refused(anp({ priority: 1, subject, ingress: [{ action: "Allow", from: [{ namespaces: {}, pods: { namespaceSelector: {}, podSelector: {} } }] }] }), "POLICY_INVALID", "spec.ingress[0].from[0]");
  refused(anp({ priority: 1, subject, ingress: [{ action: "Allow", from: [{ networks: ["10.0.0.0/8"] }] }] }), "POLICY_INVALID", "spec.ingress[0].from[0].networks");
  refused(anp({ priority: 1, subject, ingress: [{ action: "Allow", from: [{ namespaces: {} }], ports: [{ portRange: { start: 90, end: 80 } }] }] }), "POLICY_INVALID", "spec.ingress[0].ports[0].portRange");
  refused(anp({ priority: 1, subject, ingress: [{ action: "Allow", from: [{ namespaces: {} }], ports: [{ portNumber: { port: 80 }, namedPort: "web" }] }] }), "POLICY_INVALID", "spec.ingress[0].ports[0]");
  refused(anp({ priority: 1, subject, egress: [{ action: "Deny", to: [{ networks: ["10.0.0.0/33"] }] }] }), "POLICY_INVALID", "spec.egress[0].to[0].networks[0]");
  refused(anp({ priority: 1, subject, egress: [{ action: "Deny", to: [{ namespaces: {} }], form: [] }] }), "POLICY_INVALID", "spec.egress[0].form");
});

test("fields Ponton does not enforce are refused by name", () => {
  refused(anp({ priority: 1, subject, egress: [{ action: "Deny", to: [{ nodes: { matchLabels: {} } }] }] }), "POLICY_NOT_IMPLEMENTED", "spec.egress[0].to[0].nodes");
  refused(anp({ priority: 1, subject, egress: [{ action: "Allow", to: [{ domainNames: ["*.example.com"] }] }] }), "POLICY_NOT_IMPLEMENTED", "spec.egress[0].to[0].domainNames");
});

test("lists of both kinds and a document's context in errors", () => {
  const yaml = `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicyList
items:
- apiVersion: policy.networking.k8s.io/v1alpha1
  kind: AdminNetworkPolicy
  metadata: {name: a}
  spec: {priority: 3, subject: {namespaces: {}}}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: b}
spec: {priority: 2000, subject: {namespaces: {}}}`;
  assert.throws(() => parsePolicies(yaml), /document 2: spec.priority: 2000 must be between 0 and 1000/);
  assert.deepEqual(parsePolicies(yaml.split("---")[0]!).map(policyKey), ["anp:a"]);
});

test("every tier truth case's policies come back from their manifests unchanged", () => {
  for (const c of ADMIN_CASES) {
    for (const p of parsePolicies(c.yaml)) assert.deepEqual(parsePolicy(policyManifest(p)), p, `${c.name}: ${policyKey(p)}`);
  }
  const p = parsePolicy(anp({ priority: 7, subject: { pods: { namespaceSelector: {}, podSelector: { matchLabels: { pod: "a" } } } }, egress: [{ name: "n", action: "Pass", to: [{ networks: ["10.0.0.0/8", "fd00::/8"] }, { namespaces: {} }], ports: [{ namedPort: "web" }, { portRange: { start: 1, end: 9 } }] }] }));
  assert.deepEqual(parsePolicy(policyManifest(p)), p);
});
