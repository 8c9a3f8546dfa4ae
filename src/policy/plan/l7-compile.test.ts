import { test } from "node:test";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { compilePolicies } from "./compile";
import { policyManifest } from "../manifest";
import { parsePolicies } from "../parse";
import type { PolicyWorld } from "../types";

const world: PolicyWorld = {
  namespaces: [{ name: "default", labels: {} }],
  workloads: [
    { name: "deathstar", namespace: "default", labels: { org: "empire", class: "deathstar" }, ips: ["10.0.0.2", "fd00::2"], ports: [{ name: "web", port: 80, protocol: "TCP" }] },
    { name: "tiefighter", namespace: "default", labels: { org: "empire", class: "tiefighter" }, ips: ["10.0.0.3"], ports: [] },
    { name: "xwing", namespace: "default", labels: { org: "alliance", class: "xwing" }, ips: ["10.0.0.4"], ports: [] },
    { name: "probe", namespace: "default", labels: { role: "probe" }, ips: ["10.0.0.5"], ports: [] },
  ],
};

const SEED = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: rule1}
spec:
  endpointSelector: {matchLabels: {org: empire, class: deathstar}}
  ingress:
  - fromEndpoints: [{matchLabels: {org: empire}}]
    toPorts:
    - ports: [{port: "80", protocol: TCP}]
      rules: {http: [{method: POST, path: /v1/request-landing}]}
`;
const n = (ip: string) => ip.split(".").reduce((a, o) => a * 256 + Number(o), 0);

test("the seed's policy: one listener for deathstar:80, empire's addresses with the HTTP rule; nft sets redirect exactly it", () => {
  const plan = compilePolicies(world, parsePolicies(SEED));
  const http = [{ method: "POST", path: "/v1/request-landing" }];
  const rule = { policy: "cnp:default/rule1", direction: "ingress", ruleIndex: 0 };
  // A listener per address: the IPv6 one admits the empire's IPv6 addresses (only deathstar's own here).
  // The host, which no rule names, last: every request (host traffic is not policed at L3/L4).
  const host = { cidrs: [], host: true };
  assert.deepEqual(plan.l7, [
    { listen: 15100, ip: "10.0.0.2", port: 80, direction: "ingress", workload: "default/deathstar", sources: [{ cidrs: ["10.0.0.2/31"], http, rule }, host] },
    { listen: 15101, ip: "fd00::2", port: 80, direction: "ingress", workload: "default/deathstar", sources: [{ cidrs: ["fd00::2/128"], http, rule }, host] },
  ]);
  const set = (name: string) => plan.sets.find((s) => s.name === name)!.elements;
  assert.deepEqual(set("l7_ports4"), ["10.0.0.2 . 80"]);
  assert.deepEqual(set("l7_redirect4"), ["10.0.0.2 . 80 : 15100"]);
  assert.deepEqual(set("l7_ports6"), ["fd00::2 . 80"]);
  assert.deepEqual(set("l7_redirect6"), ["fd00::2 . 80 : 15101"]);
  assert.deepEqual(set("l7_listen"), ["15100", "15101"]);
});

test("no HTTP rule: empty L7 sets, no listener (NetworkPolicy-only plans keep their shape)", () => {
  const plan = compilePolicies(world, parsePolicies(SEED.replace(/\n\s+rules: .*\n/, "\n")));
  assert.deepEqual(plan.l7, []);
  for (const name of ["l7_ports4", "l7_ports6", "l7_redirect4", "l7_redirect6", "l7_listen", "l7e_ports4", "l7e_ports6", "l7e_redirect4"]) assert.deepEqual(plan.sets.find((s) => s.name === name)!.elements, [], name);
});

test("an L4-only rule on the same port admits its peers' every request (Cilium's wildcard); a rule on another port adds nothing", () => {
  const yaml = `${SEED}  - fromEndpoints: [{matchLabels: {role: probe}}]
    toPorts: [{ports: [{port: "web", protocol: TCP}]}]
  - fromEndpoints: [{matchLabels: {org: alliance}}]
    toPorts: [{ports: [{port: "81", protocol: TCP}]}]
  - fromEntities: [world]
`;
  const [l] = compilePolicies(world, parsePolicies(yaml)).l7;
  assert.equal(l!.sources.length, 4);
  assert.deepEqual(l!.sources[3], { cidrs: [], host: true });
  assert.deepEqual(l!.sources[1], { cidrs: ["10.0.0.5/32"], rule: { policy: "cnp:default/rule1", direction: "ingress", ruleIndex: 1 } });
  // world: every address but the workloads'.
  assert.equal(l!.sources[2]!.http, undefined);
  const covers = (ip: string) => l!.sources[2]!.cidrs.some((c) => { const [a, p] = c.split("/"); const m = 2 ** 32 - 2 ** (32 - Number(p)); return (n(ip) & m) >>> 0 === (n(a!) & m) >>> 0; });
  assert.equal(covers("10.0.0.3"), false);
  assert.equal(covers("192.0.2.1"), true);
});

test("fromEntities: host with HTTP rules: the host's requests get exactly those (no every-request default)", () => {
  const yaml = SEED.replace("  - fromEndpoints: [{matchLabels: {org: empire}}]", "  - fromEntities: [host]");
  const [l] = compilePolicies(world, parsePolicies(yaml)).l7;
  assert.deepEqual(l!.sources, [
    { cidrs: [], http: [{ method: "POST", path: "/v1/request-landing" }], rule: { policy: "cnp:default/rule1", direction: "ingress", ruleIndex: 0 } },
    { cidrs: [], host: true, http: [{ method: "POST", path: "/v1/request-landing" }], rule: { policy: "cnp:default/rule1", direction: "ingress", ruleIndex: 0 } },
  ]);
});

test("egress HTTP rules: a listener per client address and port, IPv4 and IPv6, the destinations as its sources", () => {
  const yaml = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: out}
spec:
  endpointSelector: {matchLabels: {org: empire}}
  egress:
  - toEndpoints: [{matchLabels: {class: xwing}}]
    toPorts:
    - ports: [{port: "80", protocol: TCP}]
      rules: {http: [{method: GET}]}
`;
  const plan = compilePolicies(world, parsePolicies(yaml));
  const rule = { policy: "cnp:default/out", direction: "egress", ruleIndex: 0 };
  assert.deepEqual(plan.l7.slice(0, 2), [
    { listen: 15100, ip: "10.0.0.2", port: 80, direction: "egress", workload: "default/deathstar", sources: [{ cidrs: ["10.0.0.4/32"], http: [{ method: "GET" }], rule }] },
    { listen: 15101, ip: "10.0.0.3", port: 80, direction: "egress", workload: "default/tiefighter", sources: [{ cidrs: ["10.0.0.4/32"], http: [{ method: "GET" }], rule }] },
  ]);
  assert.equal(plan.l7.length, 3);
  assert.deepEqual({ ...plan.l7[2]!, sources: undefined }, { listen: 15102, ip: "fd00::2", port: 80, direction: "egress", workload: "default/deathstar", sources: undefined });
  const set = (name: string) => plan.sets.find((s) => s.name === name)!.elements;
  assert.deepEqual(set("l7e_ports4"), ["10.0.0.2 . 80", "10.0.0.3 . 80"]);
  assert.deepEqual(set("l7e_redirect4"), ["10.0.0.2 . 80 : 15100", "10.0.0.3 . 80 : 15101"]);
  assert.deepEqual(set("l7e_ports6"), ["fd00::2 . 80"]);
  assert.deepEqual(set("l7e_redirect6"), ["fd00::2 . 80 : 15102"]);
  assert.deepEqual(set("l7_ports4"), []);
});

test("HTTP rules survive the manifest round trip, in their own toPorts entry", () => {
  const yaml = SEED.replace(`    - ports: [{port: "80", protocol: TCP}]`, `    - ports: [{port: "8080", protocol: UDP}]\n    - ports: [{port: "80", protocol: TCP}]`);
  const [p] = parsePolicies(yaml);
  assert.deepEqual(parsePolicies(stringify(policyManifest(p!))), [p]);
});
