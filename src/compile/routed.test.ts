import { test } from "node:test";
import assert from "node:assert/strict";
import type { Attachment, DesiredState, Network, Workload } from "../model/types";
import { endpointLines } from "./links";
import { compileNft } from "./nft-compile";
import { skeletonChains } from "./nft-plan";
import { macFor, routedIfPrefix, routedVethName } from "./names";
import { routedHostRouteKeys, routedNetworkLines, routedNetworkRemovalLines, routedVethSysctls } from "./routed";

const net = (over: Partial<Network> = {}): Network => ({
  id: "1a2b3c4d5e6f7a8b",
  name: "flat",
  driver: "routed",
  bridge: "",
  subnet4: "10.1.0.0/24",
  gateway4: "10.1.0.1",
  subnet6: "fd00:1::/64",
  gateway6: "fd00:1::1",
  internal: false,
  icc: true,
  masquerade: true,
  gatewayMode: "nat",
  routesTo: [],
  mtu: 1500,
  labels: {},
  createdAt: "",
  ...over,
});
const wl = (id: string, name: string): Workload => ({ id, name, labels: {}, netnsMode: "owned", netns: `p-${name}`, command: [], env: {}, restart: "no", routes: [], ports: [], state: "running", createdAt: "" });
const att = (w: string, n: Network, ip4: string, ip6: string): Attachment => ({ workloadId: w, networkId: n.id, ifname: "eth0", hostIfname: routedVethName(w, n.id), mac: macFor(ip4, w), ip4, ip6, index: 0 });

test("names: pr- + 4 hex of the network + 8 hex = 15 bytes, every veth of a network shares the prefix; a salt gives another", () => {
  const n = net();
  const a = routedVethName("w1", n.id);
  assert.equal(a.length, 15);
  assert.ok(a.startsWith(routedIfPrefix(n.id)));
  assert.equal(routedIfPrefix(n.id), "pr-1a2b");
  assert.notEqual(routedVethName("w1", n.id, 1), a);
  assert.ok(routedVethName("w1", n.id, 1).startsWith("pr-1a2b"));
});

test("network lines: the gateways on lo as host prefixes, the subnets unreachable; removal undoes each", () => {
  assert.deepEqual(routedNetworkLines(net()), [
    "link set lo up",
    "addr replace 10.1.0.1/32 dev lo",
    "route replace unreachable 10.1.0.0/24",
    "addr replace fd00:1::1/128 dev lo nodad",
    "route replace unreachable fd00:1::/64",
  ]);
  assert.deepEqual(routedNetworkRemovalLines(net({ subnet6: undefined, gateway6: undefined })), ["addr del 10.1.0.1/32 dev lo", "route del unreachable 10.1.0.0/24"]);
});

test("endpoint: a veth whose host end carries the gateway MAC, host routes with the gateway as source, permanent entries both ways; inside /32 and /128 through the gateway", () => {
  const n = net();
  const a = att("w1", n, "10.1.0.5", "fd00:1::5");
  const p = endpointLines(wl("w1", "web"), a, n, { createNetns: false });
  const gwMac = macFor(undefined, n.id);
  assert.deepEqual(p.host, [
    `link add ${a.hostIfname} address ${gwMac} mtu 1500 type veth peer name eth0 address ${a.mac} mtu 1500 netns p-web`,
    `link set ${a.hostIfname} up`,
    `route replace 10.1.0.5/32 dev ${a.hostIfname} src 10.1.0.1`,
    `neigh replace 10.1.0.5 lladdr ${a.mac} dev ${a.hostIfname} nud permanent`,
    `route replace fd00:1::5/128 dev ${a.hostIfname} src fd00:1::1`,
    `neigh replace fd00:1::5 lladdr ${a.mac} dev ${a.hostIfname} nud permanent`,
    `neigh replace proxy fd00:1::1 dev ${a.hostIfname}`,
  ]);
  assert.deepEqual(p.inside, [
    "addr add 10.1.0.5/32 dev eth0",
    "addr add fd00:1::5/128 dev eth0 nodad",
    "link set eth0 up",
    `neigh replace 10.1.0.1 lladdr ${gwMac} dev eth0 nud permanent`,
    `neigh replace fd00:1::1 lladdr ${gwMac} dev eth0 nud permanent`,
    "route add 10.1.0.1 dev eth0 scope link",
    "route add 10.1.0.0/24 via 10.1.0.1 dev eth0",
    "route add fd00:1::1 dev eth0",
    "route add fd00:1::/64 via fd00:1::1 dev eth0",
    "route add default via 10.1.0.1 dev eth0",
    "route add default via fd00:1::1 dev eth0",
  ]);
  assert.deepEqual(routedHostRouteKeys(a), [`10.1.0.5/32 ${a.hostIfname}`, `fd00:1::5/128 ${a.hostIfname}`]);
  assert.deepEqual(routedVethSysctls(a), [
    [`net/ipv4/conf/${a.hostIfname}/route_localnet`, "1"],
    [`net/ipv6/conf/${a.hostIfname}/proxy_ndp`, "1"],
  ]);
});

test("nft: each veth joins the per-interface sets; one wildcard pair per network, per --route-to peer", () => {
  const flat = net({ routesTo: ["br", "flat2"], icc: false });
  const flat2 = net({ id: "9f8e7d6c5b4a3928", name: "flat2", subnet4: "10.2.0.0/24", gateway4: "10.2.0.1", subnet6: undefined, gateway6: undefined, routesTo: ["flat"], internal: true, masquerade: false, hostAccess: false });
  const br: Network = { ...net({ id: "b0b0b0b0b0b0b0b0", name: "br", driver: "bridge", bridge: "pbr-b0b0b0b0b0", subnet4: "10.3.0.0/24", gateway4: "10.3.0.1", subnet6: undefined, gateway6: undefined, routesTo: ["flat"] }) };
  const a = att("w1", flat, "10.1.0.5", "fd00:1::5");
  const b = att("w2", flat, "10.1.0.6", "fd00:1::6");
  const c = { ...att("w3", flat2, "10.2.0.5", ""), ip6: undefined };
  const state: DesiredState = { networks: [flat, flat2, br], workloads: [wl("w1", "a"), wl("w2", "b"), wl("w3", "c")], attachments: [a, b, c], userRules: [] };
  const sets = new Map(compileNft(state).sets.map((s) => [s.name, s.elements]));
  const q = (s: string) => `"${s}"`;
  for (const x of [a, b, c]) {
    assert.ok(sets.get("bridges")!.includes(q(x.hostIfname)), `bridges has ${x.hostIfname}`);
    assert.ok(sets.get("owned_ifs")!.includes(q(x.hostIfname)));
  }
  assert.deepEqual(sets.get("same_network_ifs"), [`"pr-1a2b*" . "pr-1a2b*"`, `"pr-9f8e*" . "pr-9f8e*"`]);
  assert.deepEqual(sets.get("routed_ifs"), [`"pbr-b0b0b0b0b0" . "pr-1a2b*"`, `"pr-1a2b*" . "pbr-b0b0b0b0b0"`, `"pr-1a2b*" . "pr-9f8e*"`, `"pr-9f8e*" . "pr-1a2b*"`]);
  assert.deepEqual(sets.get("icc_off_bridges"), [q(a.hostIfname), q(b.hostIfname)].sort());
  assert.deepEqual(sets.get("internal_bridges"), [q(c.hostIfname)]);
  assert.deepEqual(sets.get("no_host_access"), [q(c.hostIfname)]);
  assert.deepEqual(
    sets.get("gw_dns4")!.filter((e) => e.startsWith('"pr-')),
    [`${q(c.hostIfname)} . 10.2.0.1 . tcp . 53`, `${q(c.hostIfname)} . 10.2.0.1 . udp . 53`],
    "DNS on the gateway for the --no-host-access network's veths only",
  );
  assert.deepEqual(sets.get("masq4"), ["10.1.0.0/24", "10.3.0.0/24"]);
  assert.deepEqual(sets.get("masq6"), ["fd00:1::/64"]);
  assert.ok(sets.get("subnets4")!.includes("10.2.0.0/24"));
  // The bridge network's own elements are untouched by its routed peer (no pair with a veth in `routed`).
  assert.deepEqual(sets.get("routed"), []);
  assert.deepEqual(sets.get("same_bridge"), [`"pbr-b0b0b0b0b0" . "pbr-b0b0b0b0b0"`]);
});

test("the skeleton looks the two wildcard sets up where same_bridge and routed are", () => {
  assert.match(skeletonChains(true), /iifname \. oifname @same_bridge jump same_network\n\s+iifname \. oifname @same_network_ifs jump same_network/);
  assert.match(skeletonChains(true), /iifname \. oifname @routed goto accepted\n\s+iifname \. oifname @routed_ifs goto accepted/);
});
