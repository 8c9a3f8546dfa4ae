import { test } from "node:test";
import assert from "node:assert/strict";
import { insideDamage, insideWanted, namedNetns, type InsideEvent } from "./inside-damage";
import type { DesiredState } from "../../model/types";

const state = {
  networks: [],
  workloads: [
    { id: "w1", name: "a", netnsMode: "owned", netns: "p-a", state: "running" },
    { id: "w2", name: "b", netnsMode: "path", netns: "/run/netns/given", state: "running" },
    { id: "w3", name: "c", netnsMode: "path", netns: "/proc/1/ns/net", state: "running" },
    { id: "w4", name: "d", netnsMode: "owned", netns: "p-d", state: "removing" },
  ],
  attachments: [
    { workloadId: "w1", ifname: "eth0", ip4: "10.0.0.2", ip6: "fd00::2" },
    { workloadId: "w2", ifname: "eth0", ip4: "10.0.0.3" },
    { workloadId: "w4", ifname: "eth0", ip4: "10.0.0.4" },
  ],
} as unknown as DesiredState;

const wanted = insideWanted(state, (w) => w.state === "running");

test("watched: each kept workload's named namespace (its own or /run/netns/NAME), never another path", () => {
  assert.deepEqual([...wanted.keys()].sort(), ["given", "p-a"]);
  assert.equal(namedNetns({ netnsMode: "host", netns: "" }), undefined);
  assert.deepEqual([...wanted.get("p-a")!.addrs].sort(), ["10.0.0.2", "fd00::2"]);
});

test("a deleted or downed interface, a deleted address of the workload is damage; by the last event of each object", () => {
  const ev = (e: Partial<InsideEvent>) => e as InsideEvent;
  assert.deepEqual(insideDamage([ev({ kind: "inlink", ns: "p-a", op: "del", name: "eth0", up: false })], wanted), new Map([["p-a", ["link eth0 deleted in p-a"]]]));
  assert.deepEqual(insideDamage([ev({ kind: "inaddr", ns: "given", op: "del", addr: "10.0.0.3/24" })], wanted), new Map([["given", ["address 10.0.0.3/24 deleted in given"]]]));
  assert.deepEqual(insideDamage([ev({ kind: "inlink", ns: "p-a", op: "new", name: "eth0", up: false })], wanted).get("p-a"), ["link eth0 down in p-a"]);
  // Deleted then added back (our own rebuild, a connect): no damage.
  assert.equal(insideDamage([ev({ kind: "inaddr", ns: "p-a", op: "del", addr: "10.0.0.2/24" }), ev({ kind: "inaddr", ns: "p-a", op: "new", addr: "10.0.0.2/24" })], wanted).size, 0);
  // Not ours: another interface, another address, a namespace not watched.
  assert.equal(insideDamage([ev({ kind: "inlink", ns: "p-a", op: "del", name: "dummy9", up: false }), ev({ kind: "inaddr", ns: "p-a", op: "del", addr: "10.9.9.9/24" }), ev({ kind: "inlink", ns: "p-d", op: "del", name: "eth0", up: false })], wanted).size, 0);
});
