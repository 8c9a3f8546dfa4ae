import { test } from "node:test";
import assert from "node:assert/strict";
import type { Service } from "../../model/services/service";
import type { DesiredState, Workload } from "../../model/types";
import { dnsViews, searchDomains, serviceFqdn, viewIndex, viewName, viewSearch, viewUpstreams, workloadRecords } from "./dns-records";
import { endpointLabel } from "../services/service-records";

const net = { id: "n1", name: "front", driver: "bridge" as const, bridge: "pbr-n1", subnet4: "172.30.0.0/24", gateway4: "172.30.0.1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
const wl = (i: number, extra: Partial<Workload> = {}): Workload => ({ id: `w${i}`, name: `w${i}`, labels: { app: "web" }, netnsMode: "owned", netns: "x", command: [], env: {}, restart: "no", routes: [], ports: [], state: "running", createdAt: "", ...extra });
const att = (i: number) => ({ workloadId: `w${i}`, networkId: "n1", ifname: "eth0", hostIfname: `pv-${i}`, mac: "", ip4: `172.30.0.${i + 2}`, index: 0 });
const svc = (name: string, extra: Partial<Service> = {}): Service => ({ id: name, name, vip: "10.96.0.9", ports: [{ port: 80, targetPort: 80, protocol: "tcp" }], selector: { app: "web" }, scheduler: "rr", weights: {}, externalIps: [], createdAt: "", ...extra });
const state = (services: Service[], workloads = [wl(0)]): DesiredState => ({ networks: [net], workloads, attachments: workloads.map((_, i) => att(i)), userRules: [], services });
const names = (s: DesiredState) => dnsViews(s, "ponton.internal").get("n1")!.map((r) => `${r.name} ${r.type} ${typeof r.data === "string" ? r.data : JSON.stringify(r.data)}`);

test("the search list names the workload's own namespace first, then the cluster", () => {
  assert.deepEqual(searchDomains("ponton.internal"), ["ponton.internal", "default.svc.cluster.local", "svc.cluster.local", "cluster.local"]);
  assert.deepEqual(searchDomains("ponton.internal", "x"), ["ponton.internal", "x.svc.cluster.local", "svc.cluster.local", "cluster.local"]);
  assert.equal(serviceFqdn("Web", "x"), "web.x.svc.cluster.local");
});

test("a service is named in its namespace; a record without one is in default", () => {
  const out = names(state([svc("web"), svc("web", { id: "w2", namespace: "x", vip: "10.96.0.10" })]));
  assert.ok(out.includes("web.default.svc.cluster.local A 10.96.0.9"));
  assert.ok(out.includes("web.x.svc.cluster.local A 10.96.0.10"));
  assert.ok(out.includes("10.0.96.10.in-addr.arpa PTR web.x.svc.cluster.local"));
});

const back = { ...net, id: "n2", name: "back", bridge: "pbr-n2", subnet4: "172.31.0.0/24", gateway4: "172.31.0.1" };

test("a workload on two networks asks in a view of both; one in another namespace in a view of its own", () => {
  const workloads = [wl(0), wl(1), wl(2, { namespace: "team" })];
  const attachments = [att(0), { ...att(1), networkId: "n2", ip4: "172.31.0.3" }, { ...att(0), networkId: "n2", ip4: "172.31.0.2" }, att(2)];
  const s: DesiredState = { networks: [net, back], workloads, attachments, userRules: [], services: [] };
  const index = viewIndex(s);
  assert.deepEqual(Object.fromEntries(index), { "172.30.0.2": "n1+n2", "172.31.0.2": "n1+n2", "172.31.0.3": "n2", "172.30.0.4": "n1@team" });
  const views = workloadRecords(s, "ponton.internal");
  const a = (view: string, name: string) => views.get(view)!.filter((r) => r.name === name && r.type === "A").map((r) => r.data);
  assert.deepEqual(a("n1+n2", "w0.ponton.internal"), ["172.30.0.2", "172.31.0.2"]);
  assert.deepEqual(a("n1+n2", "w1.ponton.internal"), ["172.31.0.3"]);
  assert.deepEqual(a("n1", "w1.ponton.internal"), []);
  assert.deepEqual(a("n1@team", "w0.ponton.internal"), ["172.30.0.2"]);
  assert.deepEqual(viewSearch("n1@team"), ["team.svc.cluster.local"]);
  assert.deepEqual(viewSearch("n1"), ["default.svc.cluster.local"]);
  assert.equal(viewName("n1+n2@team", new Map([["n1", "front"], ["n2", "back"]])), "front+back@team");
});

test("upstreams of a view: the workload's own (--dns) first, else its networks'; the others use the host's", () => {
  const s = state([], [wl(0, { dns: { nameservers: ["192.0.2.53"] } }), wl(1), wl(2, { dns: { policy: "None", nameservers: ["192.0.2.54"] } })]);
  s.networks = [{ ...net, dns: ["192.0.2.10"] }, back];
  s.attachments = [att(0), att(1), { ...att(2), networkId: "n2", ip4: "172.31.0.4" }];
  const index = viewIndex(s);
  assert.equal(index.get("172.30.0.2"), "n1!192.0.2.53");
  const ups = viewUpstreams(s);
  const of = (ip: string) => ups.get(index.get(ip)!)?.map((u) => u.address);
  assert.deepEqual([of("172.30.0.2"), of("172.30.0.3"), of("172.31.0.4")], [["192.0.2.53"], ["192.0.2.10"], undefined]);
  assert.equal(viewName("n1!192.0.2.53", new Map([["n1", "front"]])), "front!192.0.2.53");
});

test("pod records (IPv6 dashed), dns-version and aliases' PTR are in every view", () => {
  const s = state([], [wl(0)]);
  s.networks.push(back);
  s.attachments = [{ ...att(0), ip6: "fd00:40::3", aliases: ["alpha"] }, ...s.attachments.slice(1)];
  const views = dnsViews(s, "ponton.internal");
  for (const id of ["n1", "n2"]) {
    const names = views.get(id)!.map((r) => `${r.name} ${r.type} ${r.data}`);
    assert.ok(names.includes("172-30-0-2.default.pod.cluster.local A 172.30.0.2"), id);
    assert.ok(names.includes("fd00-40--3.default.pod.cluster.local AAAA fd00:40::3"), id);
    assert.ok(names.includes("dns-version.cluster.local TXT 1.1.0"), id);
  }
  const ptr = views.get("n1")!.filter((r) => r.name === "2.0.30.172.in-addr.arpa").map((r) => r.data);
  assert.deepEqual(ptr, ["w0.ponton.internal", "alpha.ponton.internal"]);
});

test("headless endpoints: PTR to the endpoint name; names that are not DNS labels never fold into one another", () => {
  const workloads = ["h.x", "h_x", "h-x", "H-X"].map((name, i) => wl(i, { name }));
  const s = state([svc("db", { vip: undefined, headless: true } as Partial<Service>)], workloads);
  const out = names(s);
  const hosts = out.filter((r) => / A /.test(r) && r.includes(".db.default.svc")).map((r) => r.split(" ")[0]!);
  assert.equal(new Set(hosts).size, 4);
  assert.ok(hosts.includes("h-x.db.default.svc.cluster.local"));
  assert.equal(endpointLabel("h.x"), endpointLabel("h.x"));
  assert.notEqual(endpointLabel("h.x"), endpointLabel("h_x"));
  assert.ok(out.includes(`2.0.30.172.in-addr.arpa PTR ${endpointLabel("h.x")}.db.default.svc.cluster.local`));
});
