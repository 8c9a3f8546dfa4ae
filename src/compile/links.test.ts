import { test } from "node:test";
import assert from "node:assert/strict";
import type { Attachment, Network, Workload } from "../model/types";
import { bridgeLines, defaultRouteAttachment, defaultRouteMetric, endpointLines, staticRouteLines, subInterfaceLine, vlanLines } from "./links";

const net = (over: Partial<Network>): Network => ({
  id: "n1",
  name: "front",
  driver: "bridge",
  bridge: "pbr-n1",
  subnet4: "10.1.0.0/24",
  gateway4: "10.1.0.1",
  internal: false,
  icc: true,
  masquerade: true,
  routesTo: [],
  labels: {},
  createdAt: "",
  ...over,
});
const att = (over: Partial<Attachment>): Attachment => ({ workloadId: "w1", networkId: "n1", ifname: "eth0", hostIfname: "pv-1", mac: "02:42:0a:01:00:02", ip4: "10.1.0.2", index: 0, ...over });
const wl: Workload = { id: "w1", name: "web", labels: {}, netnsMode: "owned", netns: "p-web", command: [], env: {}, restart: "no", routes: [], ports: [], state: "running", createdAt: "" };

test("the bridge, the veth's two ends and the workload interface carry the network's MTU", () => {
  const n = net({ mtu: 1400 });
  assert.match(bridgeLines(n)[0]!, /^link add pbr-n1 address \S+ mtu 1400 type bridge$/);
  const p = endpointLines(wl, att({}), n, { createNetns: false });
  assert.equal(p.host[0], "link add pv-1 mtu 1400 type veth peer name eth0 address 02:42:0a:01:00:02 mtu 1400 netns p-web");
  // A record from before MTUs were kept: no mtu argument (the kernel's default), as before.
  assert.equal(endpointLines(wl, att({}), net({}), { createNetns: false }).host[0], "link add pv-1 type veth peer name eth0 address 02:42:0a:01:00:02 netns p-web");
});

test("macvlan: a sub-interface of the parent made straight into the namespace, with its MAC and mode; no veth, no bridge", () => {
  const n = net({ driver: "macvlan", bridge: "", parent: "eth1", mode: "bridge", mtu: 1500, masquerade: false });
  const p = endpointLines(wl, att({ hostIfname: "" }), n, { createNetns: false });
  assert.deepEqual(p.host, ["link add link eth1 name eth0 address 02:42:0a:01:00:02 mtu 1500 netns p-web type macvlan mode bridge"]);
  assert.deepEqual(p.inside, ["addr add 10.1.0.2/24 dev eth0", "link set eth0 up", "route add default via 10.1.0.1 dev eth0"]);
  assert.equal(subInterfaceLine({ ...n, mode: "passthru" }, att({}), "/proc/1/ns/net"), "link add link eth1 name eth0 address 02:42:0a:01:00:02 mtu 1500 netns /proc/1/ns/net type macvlan mode passthru");
});

test("ipvlan: the parent's MAC (no address argument); l3 routes by the device, no next hop to resolve", () => {
  const l2 = net({ driver: "ipvlan", bridge: "", parent: "eth1.20", mode: "l2", subnet6: "fd00:1::/64", gateway6: "fd00:1::1" });
  const a = att({ hostIfname: "", mac: "", ip6: "fd00:1::5" });
  assert.deepEqual(endpointLines(wl, a, l2, { createNetns: false }).host, ["link add link eth1.20 name eth0 netns p-web type ipvlan mode l2"]);
  const inside = endpointLines(wl, a, { ...l2, mode: "l3" }, { createNetns: false }).inside;
  assert.ok(inside.includes("route add default dev eth0"), inside.join("\n"));
  assert.ok(inside.includes("route add ::/0 dev eth0"), inside.join("\n"));
  assert.ok(endpointLines(wl, a, l2, { createNetns: false }).inside.includes("route add default via fd00:1::1 dev eth0"));
});

test("802.1Q parent IF.ID: the VLAN sub-interface, then up", () => {
  assert.deepEqual(vlanLines("eth1.20", "eth1", 20), ["link add link eth1 name eth1.20 type vlan id 20", "link set eth1.20 up"]);
});

test("default routes: the first network without a metric, later ones above IPv6's 1024, an explicit metric wins, none when asked", () => {
  const n = net({});
  assert.equal(defaultRouteMetric(att({ index: 0 }), n), undefined);
  assert.equal(defaultRouteMetric(att({ index: 2 }), n), 1102);
  assert.equal(defaultRouteMetric(att({ index: 0 }), net({ defaultRouteMetric: 50 })), 50);
  assert.equal(defaultRouteMetric(att({ index: 0 }), net({ defaultRoute: false })), null);
  assert.equal(defaultRouteMetric(att({ index: 0 }), net({ internal: true })), null);
  const later = endpointLines(wl, att({ index: 1, ip6: "fd00::2" }), net({ subnet6: "fd00::/64", gateway6: "fd00::1" }), { createNetns: false }).inside;
  assert.ok(later.includes("route add default via 10.1.0.1 dev eth0 metric 1101"), later.join("\n"));
  assert.ok(later.includes("route add default via fd00::1 dev eth0 metric 1101"), later.join("\n"));
  const none = endpointLines(wl, att({}), net({ defaultRoute: false }), { createNetns: false }).inside;
  assert.ok(!none.some((l) => l.includes("default")), none.join("\n"));
  // A CNI runtime's second interface in a namespace an earlier workload already routes.
  const shared = endpointLines(wl, att({}), net({}), { createNetns: false, defaultRoutes: false }).inside;
  assert.ok(!shared.some((l) => l.includes("default")), shared.join("\n"));
});

test("the primary network (resolv.conf, disconnect) is the lowest metric, then the first joined", () => {
  const a = net({ id: "a" });
  const b = net({ id: "b", defaultRouteMetric: 0 });
  const c = net({ id: "c", defaultRoute: false });
  const networks = new Map([a, b, c].map((n) => [n.id, n]));
  assert.equal(defaultRouteAttachment([att({ networkId: "c", index: 0 }), att({ networkId: "a", index: 1 })], networks)?.networkId, "a");
  assert.equal(defaultRouteAttachment([att({ networkId: "a", index: 1 }), att({ networkId: "b", index: 2 })], networks)?.networkId, "b");
  assert.equal(defaultRouteAttachment([att({ networkId: "c", index: 0 })], networks), undefined);
});

test("static routes: a next hop or a blackhole; replace for the reconcile", () => {
  const w = { ...wl, routes: [{ dst: "10.50.0.0/16", via: "10.1.0.254" }, { dst: "192.0.2.0/24", type: "blackhole" as const }] };
  assert.deepEqual(staticRouteLines(w), ["route add 10.50.0.0/16 via 10.1.0.254", "route add blackhole 192.0.2.0/24"]);
  assert.deepEqual(staticRouteLines(w, "replace"), ["route replace 10.50.0.0/16 via 10.1.0.254", "route replace blackhole 192.0.2.0/24"]);
});
