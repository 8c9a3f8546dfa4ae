import { test } from "node:test";
import assert from "node:assert/strict";
import type { Service } from "../../model/service";
import type { DesiredState, Workload } from "../../model/types";
import { dnsViews, searchDomains, serviceFqdn } from "./dns-records";

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
