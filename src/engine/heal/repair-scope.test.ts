import { test } from "node:test";
import assert from "node:assert/strict";
import { repairScope } from "./repair-scope";
import type { Damage } from "./damage";
import type { Attachment, DesiredState, Network, Workload } from "../../model/types";

const base = { internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
const br: Network = { ...base, id: "nb", name: "front", driver: "bridge", bridge: "pbr-nb", subnet4: "10.1.0.0/24", gateway4: "10.1.0.1" };
const rt: Network = { ...base, id: "nr", name: "flat", driver: "routed", bridge: "", subnet4: "10.2.0.0/24", gateway4: "10.2.0.1" };
const wl = (id: string): Workload => ({ id, name: id, labels: {}, netnsMode: "owned", netns: `p-${id}`, command: [], env: {}, restart: "no", routes: [], ports: [], state: "running", createdAt: "" });
const att = (w: string, n: string, host: string): Attachment => ({ workloadId: w, networkId: n, ifname: "eth0", hostIfname: host, mac: "02:00:00:00:00:01", index: 0 });
const state: DesiredState = { networks: [br, rt], workloads: [wl("a"), wl("b"), wl("c")], attachments: [att("a", "nb", "pv-a"), att("b", "nr", "pr-b"), att("c", "nr", "pr-c")], userRules: [] };
const d = (kind: Damage["kind"], name: string): Damage => ({ what: `${kind} ${name}`, kind, name });
const sorted = (s: { networks: Set<string>; workloads: Set<string> } | undefined) => s && { networks: [...s.networks].sort(), workloads: [...s.workloads].sort() };

test("a workload's veth or host route: that workload only", () => {
  assert.deepEqual(sorted(repairScope([d("link", "pv-a")], state)), { networks: [], workloads: ["a"] });
  assert.deepEqual(sorted(repairScope([d("route", "pr-b"), d("link", "pr-c")], state)), { networks: [], workloads: ["b", "c"] });
});

test("a namespace: its workload; a bridge address: its network; a gateway or unreachable subnet: the routed networks", () => {
  assert.deepEqual(sorted(repairScope([d("netns", "p-b")], state)), { networks: [], workloads: ["b"] });
  assert.deepEqual(sorted(repairScope([d("addr", "pbr-nb")], state)), { networks: ["nb"], workloads: [] });
  assert.deepEqual(sorted(repairScope([d("addr", "lo")], state)), { networks: ["nr"], workloads: [] });
  assert.deepEqual(sorted(repairScope([d("route", "-")], state)), { networks: ["nr"], workloads: [] });
});

test("a bridge deleted or down hurts all its ports: everything is looked at", () => {
  assert.equal(repairScope([d("link", "pv-a"), d("link", "pbr-nb")], state), undefined);
});
