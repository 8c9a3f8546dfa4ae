import { test } from "node:test";
import assert from "node:assert/strict";
import { compileNft } from "../nft-compile";
import { renderDiff, renderFull } from "../nft-render";
import { parsePolicies } from "../../policy";
import type { DesiredState, Workload } from "../../model/types";

const net = { id: "n1", name: "web", driver: "bridge" as const, bridge: "pbr-n1", subnet4: "172.30.0.0/24", gateway4: "172.30.0.1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
const wl = (i: number, pod: string, namespace = "x"): Workload => ({ id: `w${i}`, name: `w${i}`, namespace, labels: { pod }, netnsMode: "owned", netns: "x", command: [], env: {}, restart: "no", routes: [], ports: [], state: "running", createdAt: "" });
const att = (i: number) => ({ workloadId: `w${i}`, networkId: "n1", ifname: "eth0", hostIfname: `pv-${i}`, mac: "", ip4: `172.30.0.${i + 2}`, index: 0 });
const POLICY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-from-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]
`;
const state = (pods: string[], policies = POLICY): DesiredState => ({
  networks: [net],
  workloads: pods.map((p, i) => wl(i, p)),
  attachments: pods.map((_, i) => att(i)),
  userRules: [],
  policies: parsePolicies(policies).map((policy) => ({ policy, createdAt: "" })),
});

test("the forward chain jumps to pol_forward after established,related and before the isolation rules", () => {
  const full = renderFull(compileNft(state(["a", "b"], "")));
  const forward = /chain forward \{([^}]*)\}/.exec(full)![1]!;
  const lines = forward.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  assert.ok(lines.indexOf("ct state new jump pol_forward") === lines.indexOf("ct state established,related accept") + 1);
  assert.ok(lines.indexOf("ct state new jump pol_forward") < lines.findIndex((l) => l.includes("same_network")));
  assert.match(full, /chain pol_forward \{/);
});

test("a label change is a few element lines of the policy maps, never a flush or a reload", () => {
  const before = compileNft(state(["a", "b", "c"]));
  const diff = renderDiff(before, compileNft(state(["a", "b", "b"])))!;
  const lines = diff.trim().split("\n");
  assert.ok(lines.length > 0 && lines.length <= 4, diff);
  for (const l of lines) assert.match(l, /^(add|delete) element inet ponton pol_/);
});

test("no change, no transaction; removing every policy empties the maps by element", () => {
  const s = state(["a", "b"]);
  assert.equal(renderDiff(compileNft(s), compileNft(state(["a", "b"]))), "");
  const diff = renderDiff(compileNft(s), compileNft(state(["a", "b"], "")))!;
  for (const l of diff.trim().split("\n")) assert.match(l, /^delete element inet ponton pol_/);
});
