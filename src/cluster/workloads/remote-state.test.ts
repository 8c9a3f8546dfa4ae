import { test } from "node:test";
import assert from "node:assert/strict";
import type { Attachment, DesiredState, Network, Workload } from "../../model/types";
import { CLUSTER_NETWORK_LABEL, withRemoteWorkloads, type WorkloadRecord } from "./workload-records";
import { RemoteState } from "./remote-state";

const piece = { id: "np", name: "pods", driver: "bridge", bridge: "pbr-np", subnet4: "10.42.0.0/24", gateway4: "10.42.0.1", internal: false, icc: true, masquerade: true, routesTo: [], labels: { [CLUSTER_NETWORK_LABEL]: "pods" }, createdAt: "" } as Network;
const wl = (id: string): Workload => ({ id, name: id, labels: { app: "web" }, netnsMode: "owned", netns: id, command: [], env: {}, restart: "no", routes: [], ports: [], state: "running", createdAt: "" });
const att = (workloadId: string, ip4: string): Attachment => ({ workloadId, networkId: "np", ifname: "eth0", hostIfname: `pv${workloadId}`, mac: "", ip4, index: 0 });
const rec = (node: string, id: string, ip4: string): WorkloadRecord => ({ node, id, name: id, namespace: "default", labels: { app: "web" }, addresses: [{ network: "pods", ip4 }] });
// As the store hands them out: the same frozen lists until one is written.
const stored = (ws: Workload[], as: Attachment[]): DesiredState => ({ networks: [piece], workloads: Object.freeze(ws) as Workload[], attachments: Object.freeze(as) as Attachment[], userRules: [] });

test("the extended state is made once per change of its inputs: the same frozen lists meanwhile, equal to withRemoteWorkloads", () => {
  const remote = { records: new Map([["k1", rec("n2", "x", "10.42.1.2")]]), version: 1 };
  const memo = new RemoteState(remote, "n1");
  const s1 = stored([wl("a")], [att("a", "10.42.0.2")]);
  const a = memo.extend(s1);
  assert.deepEqual(a, withRemoteWorkloads(s1, remote.records.values(), "n1"));
  assert.ok(Object.isFrozen(a.workloads) && Object.isFrozen(a.attachments), "frozen: the endpoint index may keep them");
  // Another read of the store (a policy edit: new networks array, same workload lists): the same lists.
  const b = memo.extend({ ...s1, networks: [{ ...piece }], policies: [] });
  assert.equal(b.workloads, a.workloads);
  assert.equal(b.attachments, a.attachments);
  assert.deepEqual(b.policies, [], "the rest of the state is the one given");

  // A remote change: made again, with it.
  remote.records.set("k2", rec("n3", "y", "10.42.2.2"));
  remote.version++;
  const c = memo.extend(s1);
  assert.notEqual(c.workloads, a.workloads);
  assert.deepEqual(c.workloads.map((w) => w.id), ["a", "n2/x", "n3/y"]);

  // A local write (the store hands out new lists): made again.
  const s2 = stored([wl("a"), wl("b")], [att("a", "10.42.0.2"), att("b", "10.42.0.3")]);
  assert.deepEqual(memo.extend(s2).workloads.map((w) => w.id), ["a", "b", "n2/x", "n3/y"]);

  // The local piece became dual stack: made again (IPv6 addresses are taken only on a dual-stack piece).
  remote.records.set("k1", { ...rec("n2", "x", "10.42.1.2"), addresses: [{ network: "pods", ip4: "10.42.1.2", ip6: "fd42:0:0:1::2" }] });
  remote.version++;
  memo.extend(s2);
  const dual = memo.extend({ ...s2, networks: [{ ...piece, subnet6: "fd42::/64" } as Network] });
  assert.equal(dual.attachments.find((x) => x.workloadId === "n2/x")!.ip6, "fd42:0:0:1::2");
});
