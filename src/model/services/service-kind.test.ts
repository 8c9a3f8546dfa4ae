import { test } from "node:test";
import assert from "node:assert/strict";
import { checkKind, validateExternalName } from "./service-kind";
import { normalizeServiceSpec } from "./service-spec";

test("a headless or ExternalName service refuses the options only a VIP gives meaning to, naming the flag", () => {
  assert.equal(checkKind({ headless: true, selector: { a: "b" }, health: "tcp" }), "Headless");
  assert.equal(checkKind({ headless: true, affinity: "none", weights: {}, publish: [] }), "Headless", "empty or 'none' values ask for nothing");
  for (const [field, flag] of [["vip", "--vip"], ["scheduler", "--scheduler"], ["publish", "--publish"], ["externalIps", "--external-ip"], ["affinity", "--affinity"]] as const) {
    const value = field === "publish" || field === "externalIps" ? ["x"] : "x";
    assert.throws(() => checkKind({ headless: true, [field]: value }), (e: Error & { code?: string }) => e.code === "INVALID_ARGUMENT" && e.message.includes(flag), field);
  }
  assert.throws(() => checkKind({ externalName: "a.example.org", selector: { app: "x" } }), /--selector/);
  assert.throws(() => checkKind({ externalName: "a.example.org", headless: true }), /either headless or an ExternalName/);
});

test("an external name is a DNS name, lowercased, never an IP", () => {
  assert.equal(validateExternalName("DB.Example.org."), "db.example.org");
  for (const bad of ["10.0.0.1", "::1", "-a.example", "a..b", "", "a_b.example"]) assert.throws(() => validateExternalName(bad), { code: "INVALID_ARGUMENT" }, bad);
});

test("headless and ExternalName specs need no ports; a ClusterIP one does; none may have host ports without a VIP", () => {
  assert.equal(normalizeServiceSpec({ name: "db", headless: true, selector: { app: "db" }, ports: [] }).headless, true);
  assert.equal(normalizeServiceSpec({ name: "ext", externalName: "db.example.org", selector: {}, ports: [] }).externalName, "db.example.org");
  assert.throws(() => normalizeServiceSpec({ name: "web", selector: { app: "w" }, ports: [] }), /needs at least one --port/);
  assert.throws(() => normalizeServiceSpec({ name: "db", headless: true, selector: { app: "db" }, ports: [{ port: 80, hostPort: 30001 }] }), /host port/);
  const named = normalizeServiceSpec({ name: "web", selector: { app: "w" }, ports: ["http=80:serve/tcp"] });
  assert.equal(named.ports[0]!.targetPort, "serve");
  assert.throws(() => normalizeServiceSpec({ name: "web", selector: { app: "w" }, ports: ["80:Serve_x"] }), { code: "INVALID_PORT" });
});
