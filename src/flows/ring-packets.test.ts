import { test } from "node:test";
import assert from "node:assert/strict";
import { compileNft } from "../compile/nft-compile";
import { DROP_LOG_GROUP, FLOW_LOG_GROUP } from "../compile/flow-log";
import { parsePolicies, POLICY_LOG_PREFIX, ruleDecisionId } from "../policy";
import type { DesiredState, Workload } from "../model/types";
import { FlowIndex, readableVersion } from "./flow-slot";
import { flowDirectory, toFlowRecord, type FlowRecord } from "./record";
import { FlowRing } from "./ring";

const net = { id: "n1", name: "web", driver: "bridge" as const, bridge: "pbr-n1", subnet4: "172.30.0.0/24", gateway4: "172.30.0.1", subnet6: "fd30::/64", gateway6: "fd30::1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
const wl = (i: number, pod: string, ns: string): Workload => ({ id: `w${i}`, name: `w${i}`, namespace: ns, labels: { pod }, netnsMode: "owned", netns: "x", command: [], env: {}, restart: "no", routes: [], ports: [], state: "running", createdAt: "" });
const att = (i: number) => ({ workloadId: `w${i}`, networkId: "n1", ifname: "eth0", hostIfname: `pv-${i}`, mac: "", ip4: `172.30.0.${i + 2}`, ip6: `fd30::${i + 2}`, index: 0 });
const state: DesiredState = {
  networks: [net],
  workloads: [wl(0, "a", "x"), wl(1, "b", "y")],
  attachments: [att(0), att(1)],
  userRules: [],
  policies: parsePolicies(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-from-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {pod: b}}}], ports: [{port: 80}]}]
`).map((policy) => ({ policy, createdAt: "" })),
};
const plan = compileNft(state).policy;
const dir = flowDirectory(state, plan);
const allowId = ruleDecisionId(plan, { policy: "x/a-from-b", direction: "ingress", ruleIndex: 0 })!;

// w1 (y) -> w0 (x) TCP SYN, over IPv4 and IPv6; an outside address to w0; a UDP datagram from the host.
const packets = [
  { g: FLOW_LOG_GROUP, m: allowId, x: "450000280000400040060000ac1e0003ac1e00029c400050000000000000000050020000ffff0000", in: "pbr-n1", out: "pbr-n1" },
  { g: FLOW_LOG_GROUP, m: 0, x: "6000000000140640" + "fd300000000000000000000000000003" + "fd300000000000000000000000000002" + "9c40005000000000000000005012ffff00000000", in: "pbr-n1", out: "pbr-n1" },
  { g: DROP_LOG_GROUP, m: 0, p: POLICY_LOG_PREFIX.ingress, x: "450000280000400040060000c6336401ac1e00029c400050000000000000000050020000ffff0000", in: "uplink0", out: "pbr-n1" },
  { g: FLOW_LOG_GROUP, m: 0, x: "4500001e000040004011ca84ac1e0001ac1e0003e0c6270f000afe1d780a", out: "pbr-n1" },
];

function push(ring: FlowRing, index: FlowIndex, p: (typeof packets)[number], t: number): void {
  // As the collector does: the packet's bytes sit inside a larger chunk read from the helper.
  const bytes = Buffer.concat([Buffer.alloc(40, 0xee), Buffer.from(p.x, "hex"), Buffer.alloc(8, 0xee)]);
  const length = p.x.length / 2;
  ring.pushPacket(index, bytes, 40, length, readableVersion(bytes, 40, length), p.g, p.in, p.out, p.p, p.m, t, 0);
}

test("a record read from a packet slot is the record the event describes", () => {
  const ring = new FlowRing(10);
  const index = new FlowIndex(dir);
  packets.forEach((p, i) => push(ring, index, p, 1_700_000_000 + i));
  const expected = packets.map((p, i) => toFlowRecord({ ...p, t: 1_700_000_000 + i }, dir, i + 1));
  assert.deepEqual(ring.records(), expected);
  const [allowed, v6, dropped, fromHost] = ring.records() as FlowRecord[];
  assert.deepEqual([allowed!.source.workload, allowed!.destination.workload, allowed!.summary], ["w1", "w0", "allowed by x/a-from-b ingress[0]"]);
  assert.deepEqual([v6!.ipVersion, v6!.source.ip, v6!.source.workload, v6!.tcpFlags], [6, "fd30::3", "w1", ["SYN", "ACK"]]);
  assert.deepEqual([dropped!.verdict, dropped!.source.workload, dropped!.destination.workload], ["DROPPED", undefined, "w0"]);
  assert.deepEqual([fromHost!.source.host, fromHost!.protocol, fromHost!.destination.port], [true, "udp", 9999]);
});

test("slots are reused: the newest records only, counters over all, namespaces counted once per record", () => {
  const ring = new FlowRing(3);
  const index = new FlowIndex(dir);
  for (let i = 0; i < 10; i++) push(ring, index, packets[i % packets.length]!, i);
  assert.deepEqual(ring.records().map((r) => r.seq), [8, 9, 10]);
  assert.equal(ring.total, 10);
  assert.deepEqual(ring.counters.byVerdict, { FORWARDED: 8, DROPPED: 2 });
  assert.deepEqual(ring.counters.byNamespace, { "y FORWARDED": 8, "x FORWARDED": 6, "x DROPPED": 2 });
  // A record pushed whole (L7, DNS) takes a slot like any other.
  ring.push({ ...ring.records()[0]!, seq: ring.nextSeq(), summary: "whole" }, 0);
  assert.deepEqual(ring.records().map((r) => [r.seq, r.summary === "whole"]), [[9, false], [10, false], [11, true]]);
});

test("a subscriber that declines by decision costs no record; one that wants it gets it", () => {
  const ring = new FlowRing(4);
  const index = new FlowIndex(dir);
  const declined: string[] = [];
  const seen: FlowRecord[] = [];
  ring.subscribe(
    () => assert.fail("declined records are not built"),
    (d) => (declined.push(d.verdict), false),
  );
  ring.subscribe((r) => seen.push(r), (d) => d.verdict === "DROPPED");
  for (const p of packets) push(ring, index, p, 5);
  assert.deepEqual(declined, ["FORWARDED", "FORWARDED", "DROPPED", "FORWARDED"]);
  assert.deepEqual(seen.map((r) => [r.seq, r.dropReason]), [[3, "POLICY_DENIED"]]);
});
