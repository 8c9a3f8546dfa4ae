import { test } from "node:test";
import assert from "node:assert/strict";
import { compileNft } from "../compile/nft-compile";
import { DROP_LOG_GROUP, FLOW_LOG_GROUP } from "../compile/flow-log";
import { parsePolicies, POLICY_LOG_PREFIX, ruleDecisionId } from "../policy";
import type { DesiredState, Workload } from "../model/types";
import { flowDirectory, toFlowRecord, type NflogEvent } from "./record";

// Flow records of connections an admin tier decided: the summary names the tier, the policy, the
// rule and its action; `rule` carries tier, action and name.

const net = { id: "n1", name: "web", driver: "bridge" as const, bridge: "pbr-n1", subnet4: "172.30.0.0/24", gateway4: "172.30.0.1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
const wl = (i: number, pod: string): Workload => ({ id: `w${i}`, name: `w${i}`, namespace: "x", labels: { pod }, netnsMode: "owned", netns: "x", command: [], env: {}, restart: "no", routes: [], ports: [], state: "running", createdAt: "" });
const att = (i: number) => ({ workloadId: `w${i}`, networkId: "n1", ifname: "eth0", hostIfname: `pv-${i}`, mac: "", ip4: `172.30.0.${i + 2}`, index: 0 });
const state: DesiredState = {
  networks: [net],
  workloads: [wl(0, "a"), wl(1, "b")],
  attachments: [att(0), att(1)],
  userRules: [],
  policies: parsePolicies(`apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: a-in}
spec:
  priority: 5
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {pod: a}}}}
  ingress:
  - {name: web, action: Allow, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: x}}}], ports: [{portNumber: {port: 80}}]}
  - {name: rest, action: Deny, from: [{namespaces: {}}]}
`).map((policy) => ({ policy, createdAt: "" })),
};
const plan = compileNft(state).policy;
const dir = flowDirectory(state, plan);
// 172.30.0.3:40000 -> 172.30.0.2:80 TCP SYN (w1 -> w0)
const SYN_B_TO_A = "45000028000040004006 0000 ac1e0003 ac1e0002 9c400050 00000000 00000000 5002ffff 00000000".replace(/ /g, "");
const event = (e: Partial<NflogEvent>): NflogEvent => ({ g: FLOW_LOG_GROUP, t: 1_700_000_000.5, m: 0, in: "pbr-n1", out: "pbr-n1", x: SYN_B_TO_A, ...e });

test("a connection an AdminNetworkPolicy Allow admitted names the tier and the rule", () => {
  const id = ruleDecisionId(plan, { policy: "anp:a-in", direction: "ingress", ruleIndex: 0 })!;
  const r = toFlowRecord(event({ m: id }), dir, 1)!;
  assert.equal(r.verdict, "FORWARDED");
  assert.equal(r.summary, 'allowed by AdminNetworkPolicy anp:a-in ingress[0] "web" (Allow)');
  assert.deepEqual(r.policies, ["anp:a-in"]);
  assert.deepEqual(r.rule, { policy: "anp:a-in", direction: "ingress", ruleIndex: 0, tier: "admin", action: "Allow", name: "web" });
});

test("a drop by an AdminNetworkPolicy Deny names the tier and the rule", () => {
  const id = ruleDecisionId(plan, { policy: "anp:a-in", direction: "ingress", ruleIndex: 1, deny: true })!;
  const r = toFlowRecord(event({ g: DROP_LOG_GROUP, p: POLICY_LOG_PREFIX.ingress, m: id }), dir, 1)!;
  assert.equal(r.verdict, "DROPPED");
  assert.equal(r.dropReason, "POLICY_DENIED");
  assert.equal(r.summary, 'denied by AdminNetworkPolicy anp:a-in ingress[1] "rest" (Deny)');
  assert.equal(r.rule?.tier, "admin");
});
