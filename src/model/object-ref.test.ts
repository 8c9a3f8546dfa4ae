import { test } from "node:test";
import assert from "node:assert/strict";
import { namespaceQuery, parseObjectRef } from "./object-ref";

test("NS/NAME and -n NS NAME name the same object", () => {
  assert.deepEqual(parseObjectRef("service", "prod/web"), { namespace: "prod", name: "web" });
  assert.deepEqual(parseObjectRef("service", "web", "prod"), { namespace: "prod", name: "web" });
  assert.deepEqual(parseObjectRef("service", "prod/web", "prod"), { namespace: "prod", name: "web" });
  assert.deepEqual(parseObjectRef("service", "web"), { name: "web" });
});

test("a reference that contradicts -n, or is malformed, is refused", () => {
  assert.throws(() => parseObjectRef("policy", "prod/web", "dev"), /in namespace prod, but -n says dev/);
  assert.throws(() => parseObjectRef("policy", "prod/", undefined), { code: "INVALID_ARGUMENT" });
  assert.throws(() => parseObjectRef("policy", "a/b/c", undefined), { code: "INVALID_ARGUMENT" });
  assert.throws(() => parseObjectRef("policy", "Prod/web", undefined), { code: "INVALID_NAME" });
});

test("the namespace travels as ?namespace=", () => {
  assert.equal(namespaceQuery({ namespace: "prod", name: "web" }, { force: "1" }), "?force=1&namespace=prod");
  assert.equal(namespaceQuery({ name: "web" }), "");
});
