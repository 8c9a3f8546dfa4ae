import { test } from "node:test";
import assert from "node:assert/strict";
import { normalizeServiceSpec } from "./service-spec";

const base = { name: "web", ports: ["80/tcp"], selector: { app: "web" } };

test("--external-traffic-policy Local: kept on a NodePort, LoadBalancer or external-IP service; Cluster is the default and not recorded", () => {
  assert.equal(normalizeServiceSpec({ ...base, publish: ["8000:80"], externalTrafficPolicy: "Local" }).externalTrafficPolicy, "Local");
  assert.equal(normalizeServiceSpec({ ...base, ports: [{ port: 80, hostPort: "auto" }], externalTrafficPolicy: "Local" }).externalTrafficPolicy, "Local");
  assert.equal(normalizeServiceSpec({ ...base, loadBalancer: true, externalTrafficPolicy: "Local" }).externalTrafficPolicy, "Local");
  assert.equal(normalizeServiceSpec({ ...base, externalIps: ["192.0.2.9"], externalTrafficPolicy: "Local" }).externalTrafficPolicy, "Local");
  assert.equal(normalizeServiceSpec({ ...base, loadBalancer: true, externalTrafficPolicy: "Cluster" }).externalTrafficPolicy, undefined);
});

test("Local on a service only reachable inside, or an unknown policy, is refused naming what is missing", () => {
  assert.throws(() => normalizeServiceSpec({ ...base, externalTrafficPolicy: "Local" }), (e: Error & { code?: string }) => e.code === "INVALID_ARGUMENT" && /Local needs a NodePort \(--publish\), a LoadBalancer address or an external IP/.test(e.message));
  assert.throws(() => normalizeServiceSpec({ ...base, loadBalancer: true, externalTrafficPolicy: "Nearest" as "Local" }), /Cluster or Local, not 'Nearest'/);
});
