import { test } from "node:test";
import assert from "node:assert/strict";
import { compileNft, DEFAULT_COMPILE_OPTIONS } from "./nft-compile";
import { renderFull } from "./nft-render";
import type { DesiredState } from "../model/types";

const piece = { id: "n1", name: "pods", driver: "bridge" as const, bridge: "pbr-n1", subnet4: "10.42.1.0/24", gateway4: "10.42.1.1", subnet6: "fd42:0:0:1::/64", gateway6: "fd42:0:0:1::1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
const local = { ...piece, id: "n2", name: "web", bridge: "pbr-n2", subnet4: "172.20.0.0/16", gateway4: "172.20.0.1", subnet6: undefined, gateway6: undefined };
const state: DesiredState = { networks: [piece, local], workloads: [], attachments: [], userRules: [], policies: [] };
const elements = (plan: ReturnType<typeof compileNft>, name: string) => plan.sets.find((s) => s.name === name)!.elements;
const overlay = { ifnames: ["ul0"], cidrs4: ["10.42.0.0/16", "10.99.0.0/16"], cidrs6: ["fd42::/48"], owned: false };

test("native routing: each cluster range maps to this node's gateway in it (a range with no local piece, none)", () => {
  const plan = compileNft(state, undefined, { ...DEFAULT_COMPILE_OPTIONS, overlay: { ...overlay, hostSource: true } });
  assert.deepEqual(elements(plan, "overlay_src4"), ["10.42.0.0/16 : 10.42.1.1"]);
  assert.deepEqual(elements(plan, "overlay_src6"), ["fd42::/48 : fd42:0:0:1::1"]);
});

test("VXLAN and a single host: no source map (the VTEP address is already inside the block)", () => {
  for (const options of [{ ...DEFAULT_COMPILE_OPTIONS, overlay: { ...overlay, ifnames: ["pvx0"], owned: true } }, DEFAULT_COMPILE_OPTIONS]) {
    const plan = compileNft(state, undefined, options);
    assert.deepEqual([elements(plan, "overlay_src4"), elements(plan, "overlay_src6")], [[], []]);
  }
});

test("the source NAT toward the overlay follows the cluster-to-cluster exemption and precedes the masquerade", () => {
  const text = renderFull(compileNft(state, undefined, { ...DEFAULT_COMPILE_OPTIONS, overlay: { ...overlay, hostSource: true } }));
  const exempt = text.indexOf("ip saddr @cluster4 ip daddr @cluster4 accept\n");
  const snat4 = text.indexOf("oifname @overlay_ifs ip daddr @cluster4 snat ip to ip daddr map @overlay_src4");
  const snat6 = text.indexOf("oifname @overlay_ifs ip6 daddr @cluster6 snat ip6 to ip6 daddr map @overlay_src6");
  const masq = text.indexOf("ct status dnat oifname @overlay_ifs masquerade");
  assert.ok(exempt > 0 && exempt < snat4 && snat4 < snat6 && snat6 < masq, "order");
  const nodePort = text.indexOf("iifname != @bridges oifname @overlay_ifs ct status dnat ip daddr @cluster4 accept");
  assert.ok(nodePort > text.indexOf("iifname @overlay_ifs oifname @bridges ip6 saddr @cluster6") && nodePort < text.indexOf("iifname @bridges jump from_network"), "a NodePort out by the underlay is let through, a workload's DNATed connection still meets its isolation checks");
  assert.match(text, /map overlay_src4 \{ type ipv4_addr : ipv4_addr; flags interval; elements = \{ 10\.42\.0\.0\/16 : 10\.42\.1\.1 \} \}/);
});
