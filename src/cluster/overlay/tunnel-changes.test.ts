import { test } from "node:test";
import assert from "node:assert/strict";
import { tunnelChanges } from "./tunnel-changes";
import type { Tunnel } from "./tunnels";

const t = (n: number, mac = `02:00:00:00:00:0${n}`): Tunnel => ({ block: `10.42.${n}.0/24`, network: "pods", node: `n${n}`, address: `192.0.2.${n}`, vtep: `10.42.${n}.0`, mac });

test("tunnel changes over VXLAN: nothing moved, nothing to do; a new node: its three entries alone; a node gone: its entries removed", () => {
  assert.deepEqual(tunnelChanges([t(1), t(2)], [t(1), t(2)], "pvx0"), { bridge: [], ip: [], removeBridge: [], removeIp: [] });
  assert.deepEqual(tunnelChanges([t(1)], [t(1), t(2)], "pvx0"), {
    bridge: ["fdb replace 02:00:00:00:00:02 dev pvx0 dst 192.0.2.2 self permanent"],
    ip: ["neigh replace 10.42.2.0 lladdr 02:00:00:00:00:02 dev pvx0 nud permanent", "route replace 10.42.2.0/24 via 10.42.2.0 dev pvx0 onlink"],
    removeBridge: [],
    removeIp: [],
  });
  assert.deepEqual(tunnelChanges([t(1), t(2)], [t(1)], "pvx0"), { bridge: [], ip: [], removeBridge: ["fdb del 02:00:00:00:00:02 dev pvx0 dst 192.0.2.2 self"], removeIp: ["route del 10.42.2.0/24 dev pvx0", "neigh del 10.42.2.0 dev pvx0"] });
});

test("tunnel changes: a node back with a new MAC replaces its entries and drops the old FDB entry; a second block of a node shares its FDB entry", () => {
  const c = tunnelChanges([t(1), t(2)], [t(1), t(2, "02:00:00:00:00:99")], "pvx0");
  assert.deepEqual(c.removeBridge, ["fdb del 02:00:00:00:00:02 dev pvx0 dst 192.0.2.2 self"]);
  assert.deepEqual(c.bridge, ["fdb replace 02:00:00:00:00:99 dev pvx0 dst 192.0.2.2 self permanent"]);
  assert.equal(c.ip.length, 2);
  const v6: Tunnel = { ...t(2), block: "fd42:0:0:2::/64", vtep: "fd42:0:0:2::" };
  const both = tunnelChanges([t(2), v6], [t(2)], "pvx0");
  assert.deepEqual(both.removeBridge, [], "the node's FDB entry still serves its IPv4 block");
  assert.deepEqual(both.removeIp, ["route del fd42:0:0:2::/64 dev pvx0", "neigh del fd42:0:0:2:: dev pvx0"]);
});

test("tunnel changes with native routing: routes via the node (IPv6 via its link-local address) in our protocol", () => {
  const n2: Tunnel = { ...t(2), vtep: "", mac: "" };
  const n2v6: Tunnel = { ...n2, block: "fd42:0:0:2::/64", via6: "fe80::2" };
  assert.deepEqual(tunnelChanges([], [n2, n2v6], "ul0", { proto: 112 }).ip, ["route replace 10.42.2.0/24 via 192.0.2.2 dev ul0 proto 112", "route replace fd42:0:0:2::/64 via fe80::2 dev ul0 proto 112"]);
  assert.deepEqual(tunnelChanges([n2, n2v6], [n2], "ul0", { proto: 112 }).removeIp, ["route del fd42:0:0:2::/64 proto 112 dev ul0"]);
});
