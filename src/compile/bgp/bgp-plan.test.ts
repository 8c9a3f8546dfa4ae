import { test } from "node:test";
import assert from "node:assert/strict";
import { bgpPlan, frrConfig, sameSessions, type BgpPlan } from "./bgp-plan";
import { bgpPolicyFromManifest } from "../../model/lb/bgp-policy";
import type { Service } from "../../model/services/service";
import type { DesiredState } from "../../model/types";

const policy = (name: string, vr: object, nodeSelector?: object) =>
  bgpPolicyFromManifest({ apiVersion: "cilium.io/v2alpha1", kind: "CiliumBGPPeeringPolicy", metadata: { name }, spec: { ...(nodeSelector ? { nodeSelector } : {}), virtualRouters: [{ localASN: 65001, neighbors: [{ peerAddress: "198.51.100.2/32", peerASN: 65000 }], ...vr }] } }, "t");

const service = (name: string, app: string, ips: string[], labels: Record<string, string> = { color: "blue" }): Service => ({
  id: name, name, ports: [{ port: 80, targetPort: 80, protocol: "tcp" }], selector: { app }, scheduler: "rr", weights: {}, externalIps: [], createdAt: "t",
  vip: "10.96.0.1", labels, loadBalancer: { ips },
});
const state: DesiredState = {
  networks: [
    { id: "n1", name: "front", driver: "bridge", bridge: "br1", subnet4: "172.50.0.0/24", internal: false, icc: true, labels: {} } as unknown as DesiredState["networks"][number],
    { id: "n2", name: "sealed", driver: "bridge", bridge: "br2", subnet4: "172.51.0.0/24", internal: true, icc: true, labels: {} } as unknown as DesiredState["networks"][number],
  ],
  workloads: [{ id: "w1", name: "b1", labels: { app: "web" }, state: "running", namespace: "default", ports: [] } as unknown as DesiredState["workloads"][number]],
  attachments: [{ workloadId: "w1", networkId: "n1", ip4: "172.50.0.2" } as unknown as DesiredState["attachments"][number]],
  userRules: [],
  services: [service("web", "web", ["192.0.2.0"]), service("idle", "nobody", ["192.0.2.1"]), service("red", "web", ["192.0.2.2"], { color: "red" }), service("pending", "web", [])],
};

test("announced: LoadBalancer addresses of selected services with a ready endpoint, /32; exportPodCIDR adds routed networks' subnets", () => {
  const r = bgpPlan(state, [policy("p", { serviceSelector: { matchLabels: { color: "blue" } }, exportPodCIDR: true })], {}, new Set());
  assert.ok("plan" in r);
  assert.deepEqual(r.plan.prefixes, ["172.50.0.0/24", "192.0.2.0/32"]);
  const unhealthy = bgpPlan(state, [policy("p", { serviceSelector: { matchLabels: { color: "blue" } } })], {}, new Set(["web/w1"]));
  assert.deepEqual("plan" in unhealthy && unhealthy.plan.prefixes, [], "its only endpoint failing: withdrawn");
  const noSelector = bgpPlan(state, [policy("p", {})], {}, new Set());
  assert.deepEqual("plan" in noSelector && noSelector.plan.prefixes, [], "no serviceSelector: no service, as Cilium");
});

test("nodeSelector picks the policy; none or several is a coded state", () => {
  const blue = policy("blue", {}, { matchLabels: { "bgp-policy": "blue" } });
  const all = policy("all", {});
  assert.deepEqual(bgpPlan(state, [blue], { "bgp-policy": "red" }, new Set()), { none: "NO_POLICY" });
  assert.deepEqual(bgpPlan(state, [blue, all], { "bgp-policy": "blue" }, new Set()), { conflict: ["all", "blue"] });
});

test("the FRR config: no zebra import check, graceful restart, peers activated in their family", () => {
  const plan: BgpPlan = { policy: "p", localASN: 65001, neighbors: [{ peerAddress: "198.51.100.2", peerASN: 65000, gracefulRestart: true, holdTimeSeconds: 9, keepAliveTimeSeconds: 3 }, { peerAddress: "fd00::2", peerASN: 65000, gracefulRestart: false }], prefixes: ["192.0.2.0/32", "2001:db8::1/128"] };
  const text = frrConfig(plan, "198.51.100.1", "/s/bgpd.log");
  for (const line of [
    "router bgp 65001",
    " bgp router-id 198.51.100.1",
    " no bgp network import-check",
    " bgp graceful-restart",
    " bgp graceful-restart preserve-fw-state",
    " neighbor 198.51.100.2 remote-as 65000",
    " neighbor 198.51.100.2 timers 3 9",
    " neighbor fd00::2 graceful-restart-disable",
    " address-family ipv4 unicast\n  network 192.0.2.0/32\n  neighbor 198.51.100.2 activate\n exit-address-family",
    " address-family ipv6 unicast\n  network 2001:db8::1/128\n  neighbor fd00::2 activate\n exit-address-family",
  ]) assert.ok(text.includes(line), line);
  assert.ok(sameSessions(plan, { ...plan, prefixes: [] }));
  assert.ok(!sameSessions(plan, { ...plan, localASN: 65002 }));
});
