import { test } from "node:test";
import assert from "node:assert/strict";
import { l2Plan, responderLines, type L2Link } from "./l2-plan";
import { l2PolicyFromManifest } from "../../model/lb/l2-policy";
import type { Service } from "../../model/services/service";
import type { DesiredState } from "../../model/types";

const policy = (name: string, spec: object) => l2PolicyFromManifest({ apiVersion: "cilium.io/v2alpha1", kind: "CiliumL2AnnouncementPolicy", metadata: { name }, spec }, "t");
const service = (name: string, ips: string[], externalIps: string[] = [], labels: Record<string, string> = { color: "blue" }): Service => ({
  id: name, name, ports: [{ port: 80, targetPort: 80, protocol: "tcp" }], selector: { app: "web" }, scheduler: "rr", weights: {}, externalIps, createdAt: "t",
  vip: "10.96.0.1", labels, loadBalancer: { ips },
});
const state = (services: Service[]): DesiredState => ({ networks: [], workloads: [], attachments: [], userRules: [], services });
const links: L2Link[] = [
  { name: "lo", ether: false, owned: true },
  { name: "eth0", ether: true, owned: false },
  { name: "eth1", ether: true, owned: false },
  { name: "wlan0", ether: true, owned: false },
  { name: "pbr-front", ether: true, owned: true },
  { name: "tun0", ether: false, owned: false },
];
const S = state([service("web", ["10.0.10.0", "2001:db8::10"], ["192.0.2.7"]), service("red", ["10.0.10.1"], [], { color: "red" }), service("pending", [])]);

test("interfaces: the regexes (unanchored, as Cilium's); none given: every Ethernet link Ponton does not own", () => {
  const p = l2Plan(S, [policy("p", { interfaces: ["^eth[0-9]+"], loadBalancerIPs: true, serviceSelector: { matchLabels: { color: "blue" } } })], {}, links, new Set());
  assert.deepEqual(p.interfaces, [{ name: "eth0", addresses: ["10.0.10.0", "2001:db8::10"] }, { name: "eth1", addresses: ["10.0.10.0", "2001:db8::10"] }]);
  const unanchored = l2Plan(S, [policy("p", { interfaces: ["lan"], loadBalancerIPs: true })], {}, links, new Set());
  assert.deepEqual(unanchored.interfaces.map((i) => i.name), ["wlan0"]);
  const all = l2Plan(S, [policy("p", { loadBalancerIPs: true })], {}, links, new Set());
  assert.deepEqual(all.interfaces.map((i) => i.name), ["eth0", "eth1", "wlan0"], "not lo, not a bridge of Ponton's, not a link without a MAC");
  assert.deepEqual(l2Plan(S, [policy("p", { interfaces: ["^tun"], loadBalancerIPs: true })], {}, links, new Set()).interfaces, [], "no MAC: nothing to answer with");
});

test("which addresses: loadBalancerIPs and/or externalIPs of selected services; nothing when both are false", () => {
  const only = (spec: object) => l2Plan(S, [policy("p", { interfaces: ["eth0"], ...spec })], {}, links, new Set()).interfaces[0]?.addresses ?? [];
  assert.deepEqual(only({ externalIPs: true }), ["192.0.2.7"]);
  assert.deepEqual(only({ loadBalancerIPs: true }), ["10.0.10.0", "10.0.10.1", "2001:db8::10"]);
  assert.deepEqual(only({ loadBalancerIPs: true, serviceSelector: { matchLabels: { color: "red" } } }), ["10.0.10.1"]);
  assert.deepEqual(only({ loadBalancerIPs: true, serviceSelector: { matchLabels: { "io.kubernetes.service.name": "web" } } }), ["10.0.10.0", "2001:db8::10"], "Cilium's service name label");
  assert.deepEqual(only({}), []);
});

test("nodeSelector picks policies; several policies add up; only addresses this node holds are answered, every wanted one is reported", () => {
  const ps = [policy("a", { interfaces: ["eth0"], loadBalancerIPs: true, nodeSelector: { matchLabels: { l2: "yes" } } }), policy("b", { interfaces: ["eth1"], externalIPs: true })];
  assert.deepEqual(l2Plan(S, ps, { l2: "no" }, links, new Set()).interfaces, [{ name: "eth1", addresses: ["192.0.2.7"] }]);
  const both = l2Plan(S, ps, { l2: "yes" }, links, new Set());
  assert.deepEqual(both.interfaces.map((i) => i.name), ["eth0", "eth1"]);
  const held = l2Plan(S, ps, { l2: "yes" }, links, new Set(), (ip) => ip !== "10.0.10.1");
  assert.deepEqual(held.interfaces[0]!.addresses, ["10.0.10.0", "2001:db8::10"]);
  assert.deepEqual(held.wanted, ["10.0.10.0", "10.0.10.1", "192.0.2.7", "2001:db8::10"]);
});

test("the responder's input: one line per interface, then commit", () => {
  assert.equal(responderLines({ interfaces: [{ name: "eth0", addresses: ["10.0.10.0", "2001:db8::10"] }], wanted: [] }), "if eth0 10.0.10.0 2001:db8::10\ncommit\n");
  assert.equal(responderLines({ interfaces: [], wanted: [] }), "commit\n");
});

test("externalTrafficPolicy Local: announced only while this node has a ready endpoint of its own; Cluster regardless", () => {
  const local = (name: string, app: string, ip: string): Service => ({ ...service(name, [ip]), selector: { app }, externalTrafficPolicy: "Local" });
  const st: DesiredState = {
    networks: [{ id: "n1", name: "front", driver: "bridge", bridge: "br1", subnet4: "172.50.0.0/24", internal: false, icc: true, labels: {} } as unknown as DesiredState["networks"][number]],
    workloads: [{ id: "w1", name: "b1", labels: { app: "web" }, state: "running", namespace: "default", ports: [] } as unknown as DesiredState["workloads"][number]],
    attachments: [{ workloadId: "w1", networkId: "n1", ip4: "172.50.0.2" } as unknown as DesiredState["attachments"][number]],
    userRules: [],
    services: [local("here", "web", "10.0.10.0"), local("elsewhere", "nobody", "10.0.10.1"), { ...service("cluster", ["10.0.10.2"]), selector: { app: "nobody" } }],
  };
  const p = [policy("p", { interfaces: ["eth0"], loadBalancerIPs: true })];
  assert.deepEqual(l2Plan(st, p, {}, links, new Set()).interfaces[0]!.addresses, ["10.0.10.0", "10.0.10.2"]);
  const failing = l2Plan(st, p, {}, links, new Set(["here/w1"]));
  assert.deepEqual(failing.interfaces[0]!.addresses, ["10.0.10.2"], "its only local endpoint failing: not announced");
  assert.deepEqual(failing.wanted, ["10.0.10.2"], "nor asked for (another node with an endpoint takes it)");
});
