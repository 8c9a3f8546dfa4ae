import { test } from "node:test";
import assert from "node:assert/strict";
import { compileNft, DEFAULT_COMPILE_OPTIONS } from "./nft-compile";
import { renderFull } from "./nft-render";
import type { DesiredState } from "../model/types";

const net = { id: "n1", name: "pods", driver: "bridge" as const, bridge: "pbr-n1", subnet4: "10.42.0.0/24", gateway4: "10.42.0.1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
const state: DesiredState = { networks: [net], workloads: [], attachments: [], userRules: [], policies: [] };
const elements = (plan: ReturnType<typeof compileNft>, name: string) => plan.sets.find((s) => s.name === name)!.elements;

test("overlay: one host has empty overlay sets; a cluster node lists its VXLAN device and the cluster ranges", () => {
  const single = compileNft(state);
  assert.deepEqual(elements(single, "overlay_ifs"), []);
  assert.deepEqual(elements(single, "cluster4"), []);
  const node = compileNft(state, undefined, { ...DEFAULT_COMPILE_OPTIONS, overlay: { ifnames: ["pvx0"], cidrs4: ["10.42.0.0/16"], cidrs6: ["fd42::/56"] } });
  assert.deepEqual(elements(node, "overlay_ifs"), ['"pvx0"']);
  assert.deepEqual(elements(node, "cluster4"), ["10.42.0.0/16"]);
  assert.deepEqual(elements(node, "cluster6"), ["fd42::/56"]);
});

test("overlay: pod traffic from the overlay is let in, and cluster-to-cluster traffic is never masqueraded (before the masquerade rule)", () => {
  const text = renderFull(compileNft(state));
  assert.match(text, /iifname @overlay_ifs oifname @bridges ip saddr @cluster4 ip daddr @cluster4 goto accepted/);
  const exempt = text.indexOf("ip saddr @cluster4 ip daddr @cluster4 accept\n");
  const masq = text.indexOf("oifname != @bridges ip saddr @masq4 masquerade");
  assert.ok(exempt > 0 && exempt < masq);
  assert.match(text, /iifname @overlay_ifs oifname @bridges ip6 saddr @cluster6 ip6 daddr @cluster6 goto accepted/);
  const exempt6 = text.indexOf("ip6 saddr @cluster6 ip6 daddr @cluster6 accept\n");
  assert.ok(exempt6 > 0 && exempt6 < text.indexOf("oifname != @bridges ip6 saddr @masq6 masquerade"), "IPv6 between pods of the cluster is not masqueraded");
});
