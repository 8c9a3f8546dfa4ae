import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNotBuiltin, kubernetesService, withBuiltinServices, withoutBuiltinVip } from "./kubernetes-service";
import type { DesiredState } from "../../model/types";
import type { Service } from "../../model/services/service";

const state = (services: Partial<Service>[]) => ({ networks: [], workloads: [], attachments: [], services }) as unknown as DesiredState;

test("the built-in: first address of the service range, 443/tcp https, no selector, one object", () => {
  const k = kubernetesService();
  assert.equal(k.vip, "10.96.0.1");
  assert.deepEqual(k.ports, [{ name: "https", port: 443, targetPort: 6443, protocol: "tcp" }]);
  assert.deepEqual(k.selector, {});
  assert.equal(kubernetesService(), k, "the same object each time (its records are built once)");
});

test("added to what serves services, unless a stored service already holds its name or VIP", () => {
  assert.deepEqual(withBuiltinServices(state([])).services!.map((s) => s.name), ["kubernetes"]);
  const other = { name: "web", namespace: "default", vip: "10.96.0.2", vips: ["10.96.0.2"] };
  assert.deepEqual(withBuiltinServices(state([other])).services!.map((s) => s.name), ["kubernetes", "web"]);
  const holder = state([{ name: "old", namespace: "default", vip: "10.96.0.1", vips: ["10.96.0.1"] }]);
  assert.equal(withBuiltinServices(holder), holder);
  const named = state([{ name: "kubernetes", namespace: "default", vip: "10.96.0.9", vips: ["10.96.0.9"] }]);
  assert.equal(withBuiltinServices(named), named);
});

test("its name in default and its VIP are refused with RESERVED; another namespace's kubernetes is fine", () => {
  const code = (f: () => void) => {
    try {
      f();
      return "ok";
    } catch (e) {
      return (e as { code?: string }).code;
    }
  };
  assert.equal(code(() => checkNotBuiltin("create", "kubernetes", undefined)), "RESERVED");
  assert.equal(code(() => checkNotBuiltin("remove", "kubernetes", "default")), "RESERVED");
  assert.equal(code(() => checkNotBuiltin("create", "kubernetes", "team")), "ok");
  assert.equal(code(() => checkNotBuiltin("create", "api", "team", ["10.96.0.1"])), "RESERVED");
  assert.equal(code(() => checkNotBuiltin("create", "api", "team", ["10.96.0.5"])), "ok");
});

test("allocation never hands out its VIP", () => {
  const space = withoutBuiltinVip({ taken: () => false, start: (r) => r.network, took: () => undefined });
  assert.equal(space.taken("10.96.0.1"), true);
  assert.equal(space.taken("10.96.0.2"), false);
});
