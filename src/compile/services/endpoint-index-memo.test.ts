// indexEndpoints reuses its last index while the store's frozen lists and the networks it reads are the same.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Attachment, DesiredState, Network, Workload } from "../../model/types";
import { indexEndpoints } from "./endpoints";

const net = (extra: Partial<Network> = {}): Network => ({ id: "n1", name: "n", driver: "bridge", bridge: "pbr-n", subnet4: "10.5.0.0/24", gateway4: "10.5.0.1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "", ...extra });
const wl = (id: string): Workload => ({ id, name: id, labels: Object.freeze({ app: "web" }), netnsMode: "owned", netns: id, command: [], env: {}, restart: "no", routes: [], ports: [], state: "running", createdAt: "" });
const att = (w: string, i: number): Attachment => ({ workloadId: w, networkId: "n1", ifname: "eth0", hostIfname: `pv-${w}`, mac: "", ip4: `10.5.0.${i + 2}`, index: 0 });
const state = (workloads: readonly Workload[], attachments: readonly Attachment[], n: Network = net()): DesiredState => ({ networks: [n], workloads, attachments, userRules: [], services: [], namespaces: [], policies: [] });

test("frozen lists (the store's): the same index for every read of one change, a new one after a write", () => {
  const ws = Object.freeze([wl("a"), wl("b")]);
  const as = Object.freeze([att("a", 0), att("b", 1)]);
  const first = indexEndpoints(state(ws, as));
  // Another state object with the same lists and networks parsed again (equal, not identical).
  assert.equal(indexEndpoints(state(ws, as, net())), first);
  const ws2 = Object.freeze([...ws, wl("c")]);
  const as2 = Object.freeze([...as, att("c", 2)]);
  const after = indexEndpoints(state(ws2, as2));
  assert.notEqual(after, first);
  assert.deepEqual(after.candidates.map((c) => c.name), ["a", "b", "c"]);
  // What it reads of the networks changed: rebuilt (an internal network serves no endpoint).
  assert.deepEqual(indexEndpoints(state(ws2, as2, net({ internal: true }))).candidates, []);
});

test("unfrozen lists are never memoized: edits in place are seen", () => {
  const ws = [wl("a")];
  const as = [att("a", 0)];
  const one = indexEndpoints(state(ws, as));
  ws.push(wl("b"));
  as.push(att("b", 1));
  const two = indexEndpoints(state(ws, as));
  assert.notEqual(two, one);
  assert.deepEqual(two.candidates.map((c) => c.name), ["a", "b"]);
});
