import { test } from "node:test";
import assert from "node:assert/strict";
import { damagedObjects, wantedObjects, type RouteEvent } from "./damage";
import type { DesiredState, Network, Workload, Attachment } from "../../model/types";

const net: Network = { id: "n1", name: "front", driver: "bridge", bridge: "pbr-n1", subnet4: "10.1.0.0/24", gateway4: "10.1.0.1", subnet6: "fd00:1::/64", gateway6: "fd00:1::1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
const wl = (id: string, state: Workload["state"]): Workload => ({ id, name: id, labels: {}, netnsMode: "owned", netns: `p-${id}`, command: [], env: {}, restart: "no", routes: [], ports: [], state, createdAt: "" });
const att = (w: string): Attachment => ({ workloadId: w, networkId: "n1", ifname: "eth0", hostIfname: `pv-${w}`, mac: "02:00:00:00:00:01", index: 0 });
const state: DesiredState = { networks: [net], workloads: [wl("a", "running"), wl("b", "removing"), wl("c", "exited")], attachments: [att("a"), att("b"), att("c")], userRules: [] };
const wanted = wantedObjects(state, (w) => w.state !== "removing" && w.state !== "creating");
const routeDamage = (events: RouteEvent[], w: typeof wanted) => damagedObjects(events, w).map((d) => d.what);
const link = (op: "new" | "del", name: string, master: number, up: boolean): RouteEvent => ({ kind: "link", op, name, master, up });

test("what the store wants: bridges, their addresses, kept workloads' veths and namespaces", () => {
  assert.deepEqual([...wanted.links.keys()].sort(), ["pbr-n1", "pv-a", "pv-c"]);
  assert.deepEqual([...wanted.addrs].sort(), ["pbr-n1 10.1.0.1/24", "pbr-n1 fd00:1::1/64"]);
  assert.deepEqual([...wanted.netns].sort(), ["p-a", "p-c"]);
});

test("our own steps that end well are no damage: a veth made, enslaved and set up; a bridge made", () => {
  const steps = [link("new", "pv-a", 0, false), link("new", "pv-a", 5, false), link("new", "pv-a", 5, true), link("new", "pbr-n1", 0, false), { kind: "addr", op: "new", name: "pbr-n1", addr: "10.1.0.1/24" } as RouteEvent, link("new", "pbr-n1", 0, true)];
  assert.deepEqual(routeDamage(steps, wanted), []);
  // Removing a workload the store no longer keeps is not damage either.
  assert.deepEqual(routeDamage([link("del", "pv-b", 5, true), { kind: "netns", op: "del", name: "p-b" }], wanted), []);
  // Nor are objects that are not ours.
  assert.deepEqual(routeDamage([link("del", "pv-zzz", 5, true), { kind: "addr", op: "del", name: "pbr-n1", addr: "10.9.9.9/24" }], wanted), []);
});

test("each kind of damage is named", () => {
  assert.deepEqual(routeDamage([link("del", "pv-a", 5, true)], wanted), ["link pv-a deleted"]);
  assert.deepEqual(routeDamage([link("new", "pbr-n1", 0, false)], wanted), ["link pbr-n1 down"]);
  assert.deepEqual(routeDamage([link("new", "pv-c", 0, true)], wanted), ["link pv-c left its bridge"]);
  assert.deepEqual(routeDamage([{ kind: "addr", op: "del", name: "pbr-n1", addr: "fd00:1::1/64" }], wanted), ["address fd00:1::1/64 of pbr-n1 deleted"]);
  assert.deepEqual(routeDamage([{ kind: "netns", op: "del", name: "p-a" }], wanted), ["namespace p-a deleted"]);
  // A deleted bridge takes its addresses: one damage, the link.
  assert.deepEqual(routeDamage([{ kind: "addr", op: "del", name: "pbr-n1", addr: "10.1.0.1/24" }, link("del", "pbr-n1", 0, true)], wanted), ["link pbr-n1 deleted"]);
  // Deleted, then put back by someone: the last event counts.
  assert.deepEqual(routeDamage([link("del", "pv-a", 5, true), link("new", "pv-a", 5, true)], wanted), []);
});

test("macvlan: no host end is wanted for its workloads; a VLAN parent Ponton made is", () => {
  const lan: Network = { ...net, id: "n2", name: "lan", driver: "macvlan", bridge: "", parent: "eth1.20", mode: "bridge", vlanCreated: true };
  const s: DesiredState = { networks: [lan], workloads: [wl("m", "running")], attachments: [{ ...att("m"), networkId: "n2", hostIfname: "" }], userRules: [] };
  const w = wantedObjects(s, () => true);
  assert.deepEqual([...w.links.keys()], ["eth1.20"]);
  assert.deepEqual(routeDamage([link("del", "eth1.20", 0, true)], w), ["link eth1.20 deleted"]);
  assert.deepEqual([...wantedObjects({ ...s, networks: [{ ...lan, vlanCreated: false }] }, () => true).links.keys()], []);
});

test("routed networks: the gateways on lo, the unreachable subnets and each kept workload's host routes are wanted; a deleted one is damage", () => {
  const routed: Network = { ...net, id: "r1", name: "flat", driver: "routed", bridge: "" };
  const ra = (w: string): Attachment => ({ ...att(w), networkId: "r1", hostIfname: `pr-r1-${w}`, ip4: "10.1.0.5", ip6: "fd00:1::5" });
  const s: DesiredState = { networks: [routed], workloads: [wl("a", "running"), wl("b", "removing")], attachments: [ra("a"), { ...ra("b"), ip4: "10.1.0.6", ip6: undefined }], userRules: [] };
  const want = wantedObjects(s, (w) => w.state !== "removing");
  assert.deepEqual([...want.addrs].sort(), ["lo 10.1.0.1/32", "lo fd00:1::1/128"]);
  assert.deepEqual([...want.routes].sort(), ["10.1.0.0/24 -", "10.1.0.5/32 pr-r1-a", "fd00:1::/64 -", "fd00:1::5/128 pr-r1-a"]);
  assert.deepEqual(want.links.get("pr-r1-a"), { port: false }, "a routed veth has no master to keep");
  const del = (dev: string, dst: string): RouteEvent => ({ kind: "route", op: "del", dev, dst });
  assert.deepEqual(routeDamage([del("pr-r1-a", "10.1.0.5/32")], want), ["route 10.1.0.5/32 via pr-r1-a deleted"]);
  assert.deepEqual(routeDamage([del("-", "10.1.0.0/24")], want), ["route 10.1.0.0/24 deleted"]);
  assert.deepEqual(routeDamage([del("pr-r1-b", "10.1.0.6/32"), del("eth0", "10.1.0.5/32")], want), [], "a removing workload's route, and a route elsewhere, are no damage");
  assert.deepEqual(routeDamage([link("new", "pr-r1-a", 0, true)], want), [], "no master is fine for a routed veth");
});
