import { test } from "node:test";
import assert from "node:assert/strict";
import { parseServiceManifests, serviceFromManifest } from "./k8s-service";
import { normalizeServiceSpec } from "./service-spec";
import { parseProjectFile } from "../project/project-file";

const svc = (spec: object, extra: object = {}) => ({ apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "shop", labels: { a: "b" }, uid: "x" }, spec, ...extra });

test("ClusterIP: selector, ports (number and named targetPort), given cluster IP, external IPs, ClientIP affinity", () => {
  const s = serviceFromManifest(
    svc({
      selector: { app: "web" },
      clusterIP: "10.96.0.20",
      ports: [{ name: "http", port: 80, targetPort: "web", protocol: "TCP", appProtocol: "http" }, { port: 53, targetPort: 5353, protocol: "UDP" }],
      externalIPs: ["192.0.2.7"],
      sessionAffinity: "ClientIP",
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
    }),
    "d",
  );
  assert.deepEqual(s, {
    name: "web",
    namespace: "shop",
    selector: { app: "web" },
    vip: "10.96.0.20",
    ports: [{ name: "http", port: 80, targetPort: "web", protocol: "tcp" }, { port: 53, targetPort: 5353, protocol: "udp" }],
    externalIps: ["192.0.2.7"],
    labels: { a: "b" },
    affinity: "client-ip",
    affinityTimeout: 600,
  });
  const n = normalizeServiceSpec(s);
  assert.equal(n.ports[0]!.targetPort, "web");
  assert.equal(n.affinityTimeoutS, 600);
});

test("ipFamilies, ipFamilyPolicy and two clusterIPs map to the spec's families and VIPs; headless ignores them", () => {
  const dual = serviceFromManifest(svc({ selector: { app: "web" }, ports: [{ port: 80 }], ipFamilyPolicy: "RequireDualStack", ipFamilies: ["IPv6", "IPv4"], clusterIP: "fd00:10:96::20", clusterIPs: ["fd00:10:96::20", "10.96.0.20"] }), "d");
  assert.deepEqual([dual.vips, dual.ipFamilies, dual.ipFamilyPolicy], [["fd00:10:96::20", "10.96.0.20"], ["IPv6", "IPv4"], "RequireDualStack"]);
  assert.deepEqual(normalizeServiceSpec(dual).families, { ipFamilyPolicy: "RequireDualStack", ipFamilies: ["IPv6", "IPv4"], vips: ["fd00:10:96::20", "10.96.0.20"] });
  const v6 = serviceFromManifest(svc({ selector: { app: "web" }, ports: [{ port: 80 }], ipFamilies: ["IPv6"] }), "d");
  assert.deepEqual([v6.vip, v6.ipFamilies, v6.ipFamilyPolicy], [undefined, ["IPv6"], undefined]);
  const headless = serviceFromManifest(svc({ clusterIP: "None", clusterIPs: ["None"], ipFamilyPolicy: "PreferDualStack", ipFamilies: ["IPv4", "IPv6"], selector: { app: "db" } }), "d");
  assert.deepEqual([headless.headless, headless.ipFamilies], [true, undefined]);
  normalizeServiceSpec(headless);
  // Disagreeing clusterIPs and ipFamilies are refused when the spec is checked (nothing applied).
  const wrong = serviceFromManifest(svc({ selector: { app: "web" }, ports: [{ port: 80 }], ipFamilies: ["IPv4", "IPv6"], clusterIPs: ["fd00:10:96::20", "10.96.0.20"] }), "d");
  assert.throws(() => normalizeServiceSpec(wrong), { code: "INVALID_ARGUMENT" });
});

test("NodePort and LoadBalancer: given nodePorts kept, missing ones allocated ('auto'), the LB address requested of LB IPAM", () => {
  const np = serviceFromManifest(svc({ type: "NodePort", selector: { app: "web" }, ports: [{ port: 80, nodePort: 30080 }, { port: 81 }] }), "d");
  assert.deepEqual(np.ports.map((p) => (p as { hostPort?: unknown }).hostPort), [30080, "auto"]);
  const lb = serviceFromManifest(
    svc({ type: "LoadBalancer", selector: { app: "web" }, loadBalancerIP: "192.0.2.30", ports: [{ port: 80 }] }, { status: { loadBalancer: { ingress: [{ ip: "192.0.2.31" }, { hostname: "lb.example" }] } } }),
    "d",
  );
  assert.deepEqual([lb.externalIps, lb.loadBalancer], [undefined, { requested: ["192.0.2.30"], preferred: ["192.0.2.31"] }]);
  const annotated = serviceFromManifest(
    svc({ type: "LoadBalancer", selector: { app: "web" }, ports: [{ port: 80 }] }, { metadata: { name: "web", labels: { color: "blue" }, annotations: { "lbipam.cilium.io/ips": "10.0.10.5, 10.0.10.6", "lbipam.cilium.io/sharing-key": "k" } } }),
    "d",
  );
  assert.deepEqual([annotated.labels, annotated.loadBalancer], [{ color: "blue" }, { requested: ["10.0.10.5", "10.0.10.6"], sharingKey: "k" }]);
  const cross = svc({ type: "LoadBalancer", selector: { app: "web" }, ports: [{ port: 80 }] }, { metadata: { name: "web", annotations: { "lbipam.cilium.io/sharing-cross-namespace": "*" } } });
  assert.throws(() => serviceFromManifest(cross, "d"), /sharing-cross-namespace/);
  const notLb = svc({ selector: { app: "web" }, ports: [{ port: 80 }] }, { metadata: { name: "web", annotations: { "lbipam.cilium.io/ips": "10.0.10.5" } } });
  assert.throws(() => serviceFromManifest(notLb, "d"), /lbipam\.cilium\.io\/ips.*only meaningful with type LoadBalancer/);
  const noNp = serviceFromManifest(svc({ type: "LoadBalancer", allocateLoadBalancerNodePorts: false, selector: { app: "web" }, ports: [{ port: 80 }] }), "d");
  assert.equal((noNp.ports[0] as { hostPort?: unknown }).hostPort, undefined);
});

test("clusterIP None is headless; ExternalName is a CNAME (its selector unused, as in Kubernetes)", () => {
  assert.equal(serviceFromManifest(svc({ clusterIP: "None", selector: { app: "db" } }), "d").headless, true);
  const ext = serviceFromManifest(svc({ type: "ExternalName", externalName: "db.example.org", selector: { app: "x" } }), "d");
  assert.equal(ext.externalName, "db.example.org");
  assert.deepEqual(ext.selector, {});
  normalizeServiceSpec(ext);
});

test("externalTrafficPolicy Local: NodePort, LoadBalancer or external IPs; Cluster is the default and not recorded", () => {
  const sel = { selector: { app: "web" }, ports: [{ port: 80 }] };
  assert.equal(serviceFromManifest(svc({ ...sel, type: "LoadBalancer", externalTrafficPolicy: "Local" }), "d").externalTrafficPolicy, "Local");
  assert.equal(serviceFromManifest(svc({ ...sel, type: "NodePort", externalTrafficPolicy: "Local" }), "d").externalTrafficPolicy, "Local");
  assert.equal(serviceFromManifest(svc({ ...sel, externalIPs: ["192.0.2.9"], externalTrafficPolicy: "Local" }), "d").externalTrafficPolicy, "Local");
  assert.equal(serviceFromManifest(svc({ ...sel, type: "NodePort", externalTrafficPolicy: "Cluster" }), "d").externalTrafficPolicy, undefined);
  assert.equal(normalizeServiceSpec(serviceFromManifest(svc({ ...sel, type: "NodePort", externalTrafficPolicy: "Local" }), "d")).externalTrafficPolicy, "Local");
});

test("fields that would change behaviour are refused with INVALID_YAML naming them", () => {
  const sel = { selector: { app: "web" }, ports: [{ port: 80 }] };
  const refused: [object, RegExp, object?][] = [
    [{ ...sel, externalTrafficPolicy: "Local" }, /spec\.externalTrafficPolicy: Local is only meaningful with type NodePort or LoadBalancer/],
    [{ ...sel, type: "NodePort", externalTrafficPolicy: "Nearest" }, /spec\.externalTrafficPolicy: unknown 'Nearest'/],
    [{ ...sel, internalTrafficPolicy: "Local" }, /spec\.internalTrafficPolicy/],
    [{ ...sel, ipFamilies: ["IPv7"] }, /spec\.ipFamilies\[0\]: unknown family/],
    [{ ...sel, ipFamilyPolicy: "DualStack" }, /spec\.ipFamilyPolicy: unknown/],
    [{ ...sel, clusterIPs: ["10.96.0.1", "fd00:10:96::1", "10.96.0.2"] }, /spec\.clusterIPs: at most two/],
    [{ ...sel, loadBalancerSourceRanges: ["10.0.0.0/8"] }, /spec\.loadBalancerSourceRanges/],
    [{ ...sel, publishNotReadyAddresses: true }, /spec\.publishNotReadyAddresses/],
    [{ ...sel, topologyKeys: ["x"] }, /spec\.topologyKeys: unknown field/],
    [{ selector: { app: "web" }, ports: [{ port: 80, protocol: "SCTP" }] }, /spec\.ports\[0\]\.protocol: SCTP/],
    [{ selector: { app: "web" }, ports: [{ port: 80, nodePort: 30001 }] }, /spec\.ports\[0\]\.nodePort: only meaningful/],
    [{ selector: { app: "web" }, ports: [{ port: 80, hostPort: 1 }] }, /spec\.ports\[0\]\.hostPort: unknown field/],
    [{ type: "NodePort", clusterIP: "None", ...sel }, /spec\.clusterIP: None \(headless\) is only valid with type ClusterIP/],
    [{ ports: [{ port: 80 }] }, /spec\.selector: required/],
    [{ type: "ExternalName" }, /spec\.externalName: required/],
    [{ ...sel, type: "Ingress" }, /spec\.type: unknown type/],
  ];
  for (const [spec, re] of refused) assert.throws(() => serviceFromManifest(svc(spec), "d"), (e: Error & { code?: string }) => e.code === "INVALID_YAML" && re.test(e.message), JSON.stringify(spec));
  assert.throws(() => serviceFromManifest({ ...svc(sel), apiVersion: "v2" }, "d"), /apiVersion/);
});

test("several documents and Lists; other kinds refused", () => {
  const text = `
apiVersion: v1
kind: Service
metadata: {name: a}
spec: {selector: {app: a}, ports: [{port: 80}]}
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Service, metadata: {name: b, namespace: x}, spec: {clusterIP: None, selector: {app: b}}}
`;
  assert.deepEqual(parseServiceManifests(text).map((s) => `${s.namespace ?? "default"}/${s.name}`), ["default/a", "x/b"]);
  assert.throws(() => parseServiceManifests("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"), { code: "INVALID_YAML" });
});

test("a project file takes Service documents beside it, namespaced services: too", () => {
  const p = parseProjectFile(
    `
services:
  api: {namespace: x, ports: [80], selector: {app: api}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, targetPort: http}]}
`,
    "demo",
  );
  assert.deepEqual(p.services!.map((s) => [s.namespace ?? "default", s.name, s.project]), [["x", "api", "demo"], ["default", "web", "demo"]]);
  assert.throws(() => parseProjectFile("services: {web: {ports: [80], selector: {a: b}}}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {a: b}, ports: [{port: 80}]}\n", "d"), /declared twice/);
  assert.throws(() => parseProjectFile("apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {a: b}, ports: [{port: 80}], foo: 1}\n", "d"), /spec\.foo: unknown field/);
});
