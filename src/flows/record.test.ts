import { test } from "node:test";
import assert from "node:assert/strict";
import { compileNft } from "../compile/nft-compile";
import { DROP_LOG_GROUP, DROP_REASONS, FLOW_LOG_GROUP, userRulePrefix } from "../compile/flow-log";
import { denyDecisionId, parsePolicies, POLICY_LOG_PREFIX, ruleDecisionId } from "../policy";
import type { DesiredState, Workload } from "../model/types";
import { flowDirectory, toFlowRecord, type NflogEvent } from "./record";
import { flowLine } from "./format";

const net = { id: "n1", name: "web", driver: "bridge" as const, bridge: "pbr-n1", subnet4: "172.30.0.0/24", gateway4: "172.30.0.1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
const wl = (i: number, pod: string): Workload => ({ id: `w${i}`, name: `w${i}`, namespace: "x", labels: { pod }, netnsMode: "owned", netns: "x", command: [], env: {}, restart: "no", routes: [], ports: [], state: "running", createdAt: "" });
const att = (i: number) => ({ workloadId: `w${i}`, networkId: "n1", ifname: "eth0", hostIfname: `pv-${i}`, mac: "", ip4: `172.30.0.${i + 2}`, index: 0 });
const state: DesiredState = {
  networks: [net],
  workloads: [wl(0, "a"), wl(1, "b")],
  attachments: [att(0), att(1)],
  userRules: [{ id: 7, rule: "tcp dport 5678 reject" }],
  policies: parsePolicies(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-from-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}], ports: [{port: 80}]}]
`).map((policy) => ({ policy, createdAt: "" })),
};
const plan = compileNft(state).policy;
const dir = flowDirectory(state, plan);
// 172.30.0.3:40000 -> 172.30.0.2:80 TCP SYN (w1 -> w0)
const SYN_B_TO_A = "45000028000040004006 0000 ac1e0003 ac1e0002 9c400050 00000000 00000000 5002ffff 00000000".replace(/ /g, "");
const event = (e: Partial<NflogEvent>): NflogEvent => ({ g: FLOW_LOG_GROUP, t: 1_700_000_000.5, m: 0, in: "pbr-n1", out: "pbr-n1", x: SYN_B_TO_A, ...e });

test("a new connection names both workloads and the policy rule whose id the kernel carried", () => {
  const id = ruleDecisionId(plan, { policy: "x/a-from-b", direction: "ingress", ruleIndex: 0 })!;
  const r = toFlowRecord(event({ m: id }), dir, 1)!;
  assert.equal(r.verdict, "FORWARDED");
  assert.deepEqual(r.source, { ip: "172.30.0.3", port: 40000, workload: "w1", namespace: "x", labels: { pod: "b" }, network: "web" });
  assert.equal(r.destination.workload, "w0");
  assert.deepEqual(r.tcpFlags, ["SYN"]);
  assert.equal(r.direction, "ingress");
  assert.deepEqual(r.policies, ["x/a-from-b"]);
  assert.equal(r.summary, "allowed by x/a-from-b ingress[0]");
  assert.equal(r.time, "2023-11-14T22:13:20.500Z");
  assert.equal(r.interfaces.in, "pbr-n1 (web)");
});

test("a new connection without a policy decision says so, also when its ct mark holds a service slot", () => {
  for (const m of [0, 0x80010002]) {
    const r = toFlowRecord(event({ m }), dir, 1)!;
    assert.equal(r.summary, "allowed: no policy selects either end");
    assert.deepEqual(r.policies, []);
    assert.equal(r.decisionId, undefined);
  }
});

test("a connection between the host and a workload names the host's end", () => {
  const toHost = toFlowRecord(event({ out: undefined, x: SYN_B_TO_A.replace("ac1e0003ac1e0002", "ac1e0003ac1e0001") }), dir, 1)!;
  assert.equal(toHost.destination.host, true);
  assert.equal(toHost.source.host, undefined);
  assert.equal(toHost.source.workload, "w1");
  const fromHost = toFlowRecord(event({ in: undefined, x: SYN_B_TO_A.replace("ac1e0003ac1e0002", "ac1e0001ac1e0002") }), dir, 1)!;
  assert.deepEqual([fromHost.source.ip, fromHost.source.host, fromHost.destination.workload], ["172.30.0.1", true, "w0"]);
  assert.equal(flowLine(fromHost).split("  ")[1], "host (172.30.0.1:40000) -> x/w0 (172.30.0.2:80)");
  assert.equal(toFlowRecord(event({ in: undefined }), dir, 1)!.source.host, undefined, "a workload's own address is never the host");
  const forwarded = toFlowRecord(event({}), dir, 1)!;
  assert.deepEqual([forwarded.source.host, forwarded.destination.host], [undefined, undefined]);
  const drop = toFlowRecord(event({ g: DROP_LOG_GROUP, p: DROP_REASONS.allowFrom.prefix, out: undefined }), dir, 1)!;
  assert.equal(drop.destination.host, undefined, "only new-connection records say host");
});

test("a policy drop names the policies that isolate the destination", () => {
  const id = denyDecisionId(plan, "ingress", ["x/a-from-b"])!;
  const r = toFlowRecord(event({ g: DROP_LOG_GROUP, p: POLICY_LOG_PREFIX.ingress, m: id }), dir, 2)!;
  assert.equal(r.verdict, "DROPPED");
  assert.equal(r.dropReason, "POLICY_DENIED");
  assert.equal(r.direction, "ingress");
  assert.deepEqual(r.policies, ["x/a-from-b"]);
  assert.match(r.summary, /default deny \(ingress\): isolated by x\/a-from-b/);
});

test("engine drops and user rules are named by their log prefix", () => {
  const iso = toFlowRecord(event({ g: DROP_LOG_GROUP, p: DROP_REASONS.isolation.prefix }), dir, 3)!;
  assert.equal(iso.dropReason, "NETWORK_ISOLATION");
  assert.equal(iso.verdict, "DROPPED");
  const noep = toFlowRecord(event({ g: DROP_LOG_GROUP, p: DROP_REASONS.noEndpoint.prefix }), dir, 4)!;
  assert.deepEqual([noep.verdict, noep.dropReason], ["REJECTED", "NO_ENDPOINT"]);
  const user = toFlowRecord(event({ g: DROP_LOG_GROUP, p: userRulePrefix(7) }), dir, 5)!;
  assert.deepEqual([user.verdict, user.dropReason, user.userRule], ["REJECTED", "USER_RULE", { id: 7, rule: "tcp dport 5678 reject" }]);
  const gone = toFlowRecord(event({ g: DROP_LOG_GROUP, p: userRulePrefix(99) }), dir, 6)!;
  assert.equal(gone.dropReason, "UNKNOWN");
});

test("an unreadable payload gives no record", () => {
  assert.equal(toFlowRecord(event({ x: "00" }), dir, 1), undefined);
  assert.equal(toFlowRecord(event({ x: undefined }), dir, 1), undefined);
});
