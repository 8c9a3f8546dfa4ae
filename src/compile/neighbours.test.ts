import { test } from "node:test";
import assert from "node:assert/strict";
import { endpointLines } from "./links";
import { forgetHostNeighbourLines, gatewayNeighbourLines, hostNeighbourLines } from "./neighbours";
import { macFor } from "./names";
import type { Attachment, Network, Workload } from "../model/types";

const n: Network = {
  id: "net1", name: "n", driver: "bridge", bridge: "pbr-n", subnet4: "10.1.0.0/24", gateway4: "10.1.0.1", subnet6: "fd00:1::/64", gateway6: "fd00:1::1",
  internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "t",
};
const a: Attachment = { workloadId: "w1", networkId: "net1", ifname: "eth0", hostIfname: "pv-x", mac: "02:00:0a:01:00:05", ip4: "10.1.0.5", ip6: "fd00:1::5", index: 0 };
const w = { id: "w1", name: "a", netns: "p-a" } as Workload;

test("both ends of a workload's link know each other's MAC: permanent entries, no ARP/ND", () => {
  const p = endpointLines(w, a, n, { createNetns: false, defaultRoutes: true });
  assert.ok(p.host.includes("neigh replace 10.1.0.5 lladdr 02:00:0a:01:00:05 dev pbr-n nud permanent"));
  assert.ok(p.host.includes("neigh replace fd00:1::5 lladdr 02:00:0a:01:00:05 dev pbr-n nud permanent"));
  // After the port joins the bridge, so the entry names a live device.
  assert.ok(p.host.findIndex((l) => l.startsWith("neigh")) > p.host.findIndex((l) => l.includes("master pbr-n")));
  const gw = macFor(undefined, "net1");
  assert.ok(p.inside.includes(`neigh replace 10.1.0.1 lladdr ${gw} dev eth0 nud permanent`));
  assert.ok(p.inside.includes(`neigh replace fd00:1::1 lladdr ${gw} dev eth0 nud permanent`));
  assert.ok(p.inside.indexOf(`link set eth0 up`) < p.inside.findIndex((l) => l.startsWith("neigh")));
});

test("an IPv4-only attachment gets IPv4 entries only; departure flushes exactly its own", () => {
  const v4: Attachment = { ...a };
  delete v4.ip6;
  assert.deepEqual(hostNeighbourLines(v4, n), ["neigh replace 10.1.0.5 lladdr 02:00:0a:01:00:05 dev pbr-n nud permanent"]);
  assert.deepEqual(forgetHostNeighbourLines(a, n), ["neigh flush to 10.1.0.5 dev pbr-n nud permanent", "neigh flush to fd00:1::5 dev pbr-n nud permanent"]);
});

test("no entries on a network that is not a bridge: its gateway is not ours", () => {
  const host: Network = { ...n, driver: "host", bridge: "" };
  assert.deepEqual([...hostNeighbourLines(a, host), ...forgetHostNeighbourLines(a, host), ...gatewayNeighbourLines(a, host)], []);
});
