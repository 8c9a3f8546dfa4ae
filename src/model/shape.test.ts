import { test } from "node:test";
import assert from "node:assert/strict";
import { checkShape } from "./shape";
import { checkRunShape, checkServiceShape, NETWORK_FIELDS } from "./request-shapes";
import { jsonTextDepth, valueDepth } from "./nesting";

test("a field of the wrong JSON type is INVALID_ARGUMENT naming the field", () => {
  assert.throws(() => checkShape("network", { name: "n", internal: "false" }, NETWORK_FIELDS), (e: { code: string; message: string }) => e.code === "INVALID_ARGUMENT" && /'internal' must be true or false, not the string 'false'/.test(e.message));
  assert.throws(() => checkShape("network", { name: "n", subnet: 42 }, NETWORK_FIELDS), /'subnet' must be a string/);
  assert.throws(() => checkShape("network", { name: "n", routesTo: [1] }, NETWORK_FIELDS), /'routesTo' must be a list of strings/);
  assert.throws(() => checkShape("network", [], NETWORK_FIELDS), /must be an object/);
});

test("null is absent; a map takes numbers and booleans as text values", () => {
  assert.deepEqual(checkShape("network", { name: "n", subnet: null, labels: { a: 1, b: true } }, NETWORK_FIELDS), { name: "n", labels: { a: 1, b: true } });
  assert.throws(() => checkShape("network", { name: "n", labels: { a: { b: 1 } } }, NETWORK_FIELDS), /'labels' must be a map/);
});

test("run and service requests: elements of lists are checked too", () => {
  assert.throws(() => checkRunShape("run", { name: "w", networks: [{ network: 1 }] }), /networks\[0\]: 'network' must be a string/);
  assert.throws(() => checkRunShape("run", { name: "w", routes: [{ dst: "default", via: 1 }] }), /routes\[0\]: 'via'/);
  assert.throws(() => checkRunShape("run", { name: "w", ports: 42 }), /'ports' must be a list/);
  assert.doesNotThrow(() => checkRunShape("run", { name: "w", networks: ["a", { network: "b", ip: "10.0.0.2" }], ports: ["80:80"] }));
  assert.throws(() => checkServiceShape("service", { name: "s", externalIps: "1.2.3.4" }), /'externalIps' must be a list of strings/);
  assert.throws(() => checkServiceShape("service", { name: "s", ipFamily: 4 }), /'ipFamily' must be a string/);
  assert.throws(() => checkServiceShape("service", { name: "s", selector: [1] }), /'selector' must be a map of key: value or a list of strings/);
  assert.throws(() => checkServiceShape("service", { name: "s", healthRise: 1.5 }), /'healthRise' must be a whole number/);
});

test("nesting depth: text scan skips strings; value walk has no recursion", () => {
  assert.equal(jsonTextDepth('{"a":[1,{"b":"[[[["}]}'), 3);
  assert.equal(jsonTextDepth('"\\"[["'), 0);
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.ok(valueDepth(deep) > 64);
  assert.equal(valueDepth({ a: [1, { b: 2 }] }), 3);
});
