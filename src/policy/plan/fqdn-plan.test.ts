import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePolicies } from "./compile";
import { describeDecision } from "./decisions";
import { dnsVerdict, fqdnElements, FQDN_MAP } from "./fqdn-plan";
import { parsePolicies } from "../parse";
import { PolicyError } from "../errors";
import type { PolicyWorld } from "../types";

const world: PolicyWorld = {
  namespaces: [{ name: "x", labels: {} }],
  workloads: [
    { name: "app", namespace: "x", labels: { app: "app" }, ips: ["10.0.0.2", "fd00::2"], ports: [] },
    { name: "free", namespace: "x", labels: { app: "free" }, ips: ["10.0.0.3"], ports: [] },
    { name: "dnsonly", namespace: "x", labels: { app: "dnsonly" }, ips: ["10.0.0.4"], ports: [] },
  ],
};

const POLICIES = parsePolicies(`
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: fqdn, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: app}}
  egress:
  - toEntities: [host]
    toPorts: [{ports: [{port: "53", protocol: ANY}], rules: {dns: [{matchPattern: "*.example.com"}, {matchName: api.other.org}]}}]
  - toFQDNs: [{matchPattern: "*.example.com"}]
    toPorts: [{ports: [{port: "443", protocol: TCP}, {port: "8000", endPort: 8001, protocol: TCP}]}]
  - toFQDNs: [{matchName: api.other.org}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: dns, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: dnsonly}}
  egress:
  - toEntities: [host]
    toPorts: [{ports: [{port: "53", protocol: UDP}], rules: {dns: [{matchPattern: "*"}]}}]
`);

test("rules.dns: a selected workload resolves only the names its rules allow, and the rule is named", () => {
  const plan = compilePolicies(world, POLICIES);
  const v = dnsVerdict(plan.dns, "10.0.0.2", "www.example.com");
  assert.ok(v.policed && v.allowed);
  assert.deepEqual(v.ref, { policy: "cnp:x/fqdn", direction: "egress", ruleIndex: 0 });
  assert.deepEqual(v.match, { matchPattern: "*.example.com" });
  assert.equal(describeDecision(plan, v.id)?.kind, "allow");
  assert.deepEqual(dnsVerdict(plan.dns, "10.0.0.2", "example.com"), { policed: true, allowed: false });
  assert.deepEqual(dnsVerdict(plan.dns, "10.0.0.2", "evil.org"), { policed: true, allowed: false });
  assert.ok((dnsVerdict(plan.dns, "fd00::2", "api.other.org") as { allowed: boolean }).allowed, "every address of the workload");
  assert.deepEqual(dnsVerdict(plan.dns, "10.0.0.3", "evil.org"), { policed: false }, "not selected: not policed");
  assert.ok((dnsVerdict(plan.dns, "10.0.0.4", "anything.at.all") as { allowed: boolean }).allowed, "* alone allows every name");
});

test("toFQDNs: the elements an answer opens, per address, port and family, with TTL + grace", () => {
  const plan = compilePolicies(world, POLICIES);
  const answers = [{ address: "192.0.2.10", ttl: 30 }, { address: "192.0.2.11", ttl: 0 }, { address: "2001:db8::1", ttl: 30 }];
  const els = fqdnElements(plan.dns, "10.0.0.2", "www.example.com", answers, 5);
  assert.deepEqual(els.map((e) => `${e.set} ${e.key} ${e.ttl}`), [
    `${FQDN_MAP.port4} 10.0.0.2 . 192.0.2.10 . 6 . 443 35`,
    `${FQDN_MAP.port4} 10.0.0.2 . 192.0.2.10 . 6 . 8000 35`,
    `${FQDN_MAP.port4} 10.0.0.2 . 192.0.2.10 . 6 . 8001 35`,
    `${FQDN_MAP.port4} 10.0.0.2 . 192.0.2.11 . 6 . 443 6`,
    `${FQDN_MAP.port4} 10.0.0.2 . 192.0.2.11 . 6 . 8000 6`,
    `${FQDN_MAP.port4} 10.0.0.2 . 192.0.2.11 . 6 . 8001 6`,
  ], "an IPv4 client's IPv4 answers only; TTL 0 lives 1 s + grace");
  assert.deepEqual(els[0]!.ref, { policy: "cnp:x/fqdn", direction: "egress", ruleIndex: 1 });
  const any = fqdnElements(plan.dns, "10.0.0.2", "api.other.org", answers, 5);
  assert.deepEqual(any.map((e) => `${e.set} ${e.key}`), [`${FQDN_MAP.any4} 10.0.0.2 . 192.0.2.10`, `${FQDN_MAP.any4} 10.0.0.2 . 192.0.2.11`]);
  assert.deepEqual(fqdnElements(plan.dns, "fd00::2", "api.other.org", answers, 5).map((e) => e.key), ["fd00::2 . 2001:db8::1"]);
  assert.deepEqual(fqdnElements(plan.dns, "10.0.0.2", "example.com", answers, 5), [], "no selector matches");
  assert.deepEqual(fqdnElements(plan.dns, "10.0.0.3", "www.example.com", answers, 5), [], "not selected");
});

test("the plan: learned maps and their lookups exist only while a rule has toFQDNs; deny still first", () => {
  const plan = compilePolicies(world, POLICIES);
  // After the static allow maps (each shard's chain ends in pol_eg_rest), before the default deny.
  const egress = plan.chains.find((c) => c.name === "pol_eg_rest")!.rules;
  const at = egress.findIndex((r) => r.includes(FQDN_MAP.port4));
  assert.equal(at, 0);
  assert.ok(at < egress.findIndex((r) => r.includes("pol_eg_deny_v4")), "before the default deny");
  assert.equal(egress.filter((r) => r.includes("pol_fqdn_")).length, 4);
  const set = plan.sets.find((s) => s.name === FQDN_MAP.any4)!;
  assert.deepEqual(set.flags, ["timeout"]);
  assert.deepEqual(set.elements, []);
  const dnsOnly = compilePolicies(world, POLICIES.filter((p) => p.name === "dns"));
  assert.ok(!dnsOnly.sets.some((s) => s.name.startsWith("pol_fqdn_")));
  assert.ok(dnsOnly.dns, "DNS rules alone still give the resolver a plan");
  assert.equal(compilePolicies(world, []).dns, undefined);
  // The static part: a toFQDNs rule opens no address at compile time.
  assert.ok(!plan.sets.filter((s) => s.name.startsWith("pol_eg_allow_v4_s")).some((s) => s.elements.some((e) => e.startsWith("10.0.0.2 . 192.0.2."))));
});

function refused(yaml: string, code: string, path: string, words: RegExp): void {
  assert.throws(() => parsePolicies(yaml), (e: unknown) => {
    assert.ok(e instanceof PolicyError);
    assert.equal(e.code, code);
    assert.equal(e.path, path);
    assert.match(e.message, words);
    return true;
  });
}

const cnp = (egress: string, section = "egress") => `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p, namespace: x}\nspec:\n  endpointSelector: {}\n  ${section}:\n${egress.replace(/^/gm, "  ")}`;

test("parse: what cannot be enforced is refused by name", () => {
  refused(cnp(`- toEndpoints: [{}]\n  toPorts: [{ports: [{port: "53"}], rules: {dns: [{matchPattern: "*"}]}}]`), "POLICY_NOT_IMPLEMENTED", "spec.egress[0].toPorts", /DNS proxy/);
  refused(cnp(`- toEntities: [host, world]\n  toPorts: [{ports: [{port: "53"}], rules: {dns: [{matchPattern: "*"}]}}]`), "POLICY_NOT_IMPLEMENTED", "spec.egress[0].toPorts", /DNS proxy/);
  refused(cnp(`- toEntities: [host]\n  toPorts: [{ports: [{port: "53"}], rules: {dns: [{matchPattern: "*"}]}}]`, "ingress"), "POLICY_INVALID", "spec.ingress[0].toEntities", /not allowed|unknown/);
  refused(cnp(`- fromEntities: [host]\n  toPorts: [{ports: [{port: "53"}], rules: {dns: [{matchPattern: "*"}]}}]`, "ingress"), "POLICY_INVALID", "spec.ingress[0].toPorts[0].rules.dns", /egress only/);
  refused(cnp(`- toEntities: [host]\n  toPorts: [{ports: [{port: "53"}], rules: {dns: [{matchPattern: "*"}]}}]`, "egressDeny"), "POLICY_INVALID", "spec.egressDeny[0].toPorts[0].rules", /no L7 part/);
  refused(cnp(`- toFQDNs: [{matchName: a.com}]\n  toCIDR: [10.0.0.0/8]`), "POLICY_INVALID", "spec.egress[0].toFQDNs", /combined with toCIDR/);
  refused(cnp(`- toFQDNs: [{matchName: a.com, matchPattern: "*"}]`), "POLICY_INVALID", "spec.egress[0].toFQDNs[0]", /exactly one/);
  refused(cnp(`- toFQDNs: [{matchPattern: "a.**.com"}]`), "POLICY_INVALID", "spec.egress[0].toFQDNs[0].matchPattern", /leading/);
  refused(cnp(`- toFQDNs: [{matchName: a.com}]`, "egressDeny"), "POLICY_NOT_IMPLEMENTED", "spec.egressDeny[0].toFQDNs", /egressDeny/);
  refused(cnp(`- toFQDNs: [{matchName: a.com}]\n  toPorts: [{ports: [{port: "1", endPort: 1000, protocol: TCP}]}]`), "POLICY_NOT_IMPLEMENTED", "spec.egress[0].toPorts", /range/);
  refused(cnp(`- toFQDNs: [{matchName: a.com}]\n  toPorts: [{ports: [{port: "https", protocol: TCP}]}]`), "POLICY_NOT_IMPLEMENTED", "spec.egress[0].toPorts", /named port/);
  const [p] = parsePolicies(cnp(`- toFQDNs: [{matchName: A.Com.}]`));
  assert.deepEqual(p!.egress[0]!.peers, [{ kind: "fqdn", selectors: [{ matchName: "a.com" }] }]);
});
