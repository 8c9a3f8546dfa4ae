import { test } from "node:test";
import assert from "node:assert/strict";
import type { Attachment, DesiredState, Network, Workload } from "../../model/types";
import { compileNft } from "../../compile";
import { CLUSTER_NETWORK_LABEL, localRecords, withRemoteWorkloads, type WorkloadRecord } from "./workload-records";
import { reservations } from "../cluster-objects";
import type { Service } from "../../model/services/service";

const piece: Network = { id: "np", name: "pods", driver: "bridge", bridge: "pbr-np", subnet4: "10.42.0.0/24", gateway4: "10.42.0.1", internal: false, icc: true, masquerade: true, routesTo: [], labels: { [CLUSTER_NETWORK_LABEL]: "pods" }, createdAt: "" } as Network;
const local: Network = { ...piece, id: "nl", name: "bridge", bridge: "pbr-nl", subnet4: "172.30.0.0/24", labels: {} } as Network;
const wl = (id: string, name: string, labels: Record<string, string>, state: Workload["state"] = "running"): Workload => ({ id, name, labels, netnsMode: "owned", netns: id, command: [], env: {}, restart: "no", routes: [], ports: [], state, createdAt: "" });
const att = (workloadId: string, networkId: string, ip4: string, index = 0): Attachment => ({ workloadId, networkId, ifname: `eth${index}`, hostIfname: `pv${workloadId}`, mac: "", ip4, index });

const state: DesiredState = {
  networks: [piece, local],
  workloads: [wl("a", "web", { app: "web" }), wl("b", "only-local", { app: "web" }), wl("c", "stopped", { app: "web" }, "stopped")],
  attachments: [att("a", "np", "10.42.0.2"), att("b", "nl", "172.30.0.2"), att("c", "np", "10.42.0.3")],
  userRules: [],
};

test("a node publishes its running workloads that hold an address on a cluster network, by network name", () => {
  assert.deepEqual(localRecords(state, "n1"), [{ node: "n1", id: "a", name: "web", namespace: "default", labels: { app: "web" }, addresses: [{ network: "pods", ip4: "10.42.0.2" }] }]);
});

const remote = (node: string, id: string, name: string, ip4: string, network = "pods"): WorkloadRecord => ({ node, id, name, namespace: "default", labels: { app: "web" }, addresses: [{ network, ip4 }] });

test("remote workloads join the state on the local piece of their network; own records and unknown networks are skipped; a taken name gets the node's", () => {
  const out = withRemoteWorkloads(state, [remote("n2", "x", "web", "10.42.1.2"), remote("n1", "a", "web", "10.42.0.2"), remote("n3", "y", "db", "10.42.2.2"), remote("n3", "z", "far", "10.50.0.2", "other")], "n1");
  const added = out.workloads.slice(state.workloads.length);
  assert.deepEqual(added.map((w) => [w.id, w.name, w.state]), [["n2/x", "web-n2", "running"], ["n3/y", "db", "running"]]);
  assert.deepEqual(out.attachments.slice(state.attachments.length).map((a) => [a.workloadId, a.networkId, a.ip4]), [["n2/x", "np", "10.42.1.2"], ["n3/y", "np", "10.42.2.2"]]);
  assert.equal(withRemoteWorkloads(state, [], "n1"), state, "nothing remote: the same state");
  const dup = withRemoteWorkloads(state, [remote("n2", "x", "x", "10.42.0.2"), remote("n2", "y", "y", "10.42.1.9"), remote("n3", "z", "z", "10.42.1.9")], "n1");
  assert.deepEqual(dup.workloads.slice(state.workloads.length).map((w) => w.id), ["n2/y"], "an address already held (locally or by an earlier record) is not taken twice");
});

test("a service's endpoints in the compiled table include the remote pods; a remote pod adds no host port or link", () => {
  const svc: Service = { id: "s1", name: "web", vip: "10.96.0.50", ports: [{ port: 80, targetPort: 80, protocol: "tcp" }], selector: { app: "web" }, scheduler: "rr", weights: {}, externalIps: [], createdAt: "" };
  const plan = compileNft(withRemoteWorkloads({ ...state, services: [svc] }, [remote("n2", "x", "w2", "10.42.1.2")], "n1"));
  const text = JSON.stringify(plan.services);
  assert.match(text, /10\.42\.1\.2/);
  assert.match(text, /10\.42\.0\.2/);
  const without = JSON.stringify(compileNft({ ...state, services: [svc] }).services);
  assert.doesNotMatch(without, /10\.42\.1\.2/);
});

test("a service reserves its VIPs and NodePorts", () => {
  const svc: Service = { id: "s1", name: "web", vip: "10.96.0.50", vips: ["10.96.0.50", "fd00:96::50"], ports: [{ port: 80, targetPort: 80, protocol: "tcp", hostPort: 30080 }, { port: 53, targetPort: 53, protocol: "udp" }], selector: {}, scheduler: "rr", weights: {}, externalIps: [], createdAt: "" };
  assert.deepEqual(reservations(svc).map((r) => r.key), ["/ponton/vips/10.96.0.50", "/ponton/vips/fd00:96::50", "/ponton/nodeports/tcp/30080"]);
});

test("dual stack: a pod's IPv6 address is published and taken in by nodes whose piece is dual stack", () => {
  const dual = { ...piece, subnet6: "fd42::/64", gateway6: "fd42::1" } as Network;
  const s6: DesiredState = { ...state, networks: [dual, local], attachments: [{ ...att("a", "np", "10.42.0.2"), ip6: "fd42::2" }, att("b", "nl", "172.30.0.2")] };
  assert.deepEqual(localRecords(s6, "n1")[0]!.addresses, [{ network: "pods", ip4: "10.42.0.2", ip6: "fd42::2" }]);
  const rec: WorkloadRecord = { ...remote("n2", "x", "w2", "10.42.1.2"), addresses: [{ network: "pods", ip4: "10.42.1.2", ip6: "fd42:0:0:1::2" }] };
  assert.equal(withRemoteWorkloads(s6, [rec], "n1").attachments.at(-1)!.ip6, "fd42:0:0:1::2");
  assert.equal(withRemoteWorkloads(state, [rec], "n1").attachments.at(-1)!.ip6, undefined, "an IPv4-only piece takes IPv4 only");
});

test("IPv6-only: a pod with only an IPv6 address is published and taken in with that address alone", () => {
  const only6 = { ...piece, subnet4: undefined, gateway4: undefined, subnet6: "fd42::/64", gateway6: "fd42::1" } as unknown as Network;
  const s6: DesiredState = { ...state, networks: [only6, local], attachments: [{ workloadId: "a", networkId: "np", ifname: "eth0", hostIfname: "pva", mac: "", ip6: "fd42::2", index: 0 }] };
  assert.deepEqual(localRecords(s6, "n1")[0]!.addresses, [{ network: "pods", ip6: "fd42::2" }]);
  const rec: WorkloadRecord = { ...remote("n2", "x", "w2", ""), addresses: [{ network: "pods", ip6: "fd42:0:0:1::2" }] };
  const got = withRemoteWorkloads(s6, [rec], "n1").attachments.at(-1)!;
  assert.equal(got.workloadId, "n2/x");
  assert.equal(got.ip6, "fd42:0:0:1::2");
  assert.equal(got.ip4, undefined);
  assert.ok(!withRemoteWorkloads(state, [rec], "n1").workloads.some((w) => w.id === "n2/x"), "an IPv4-only piece cannot take it");
});
