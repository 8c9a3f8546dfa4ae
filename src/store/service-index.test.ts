import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseCidr } from "../model/ip";
import { serviceKey, serviceNamespace, type Service } from "../model/services/service";
import { ServiceIndex } from "./service-index";
import { SqliteStore } from "./sqlite-store";

const svc = (name: string, vip: string, extra: Partial<Service> = {}): Service => ({
  id: `id-${name}`, name, vip, ports: [{ port: 80, targetPort: 80, protocol: "tcp" }], selector: {}, scheduler: "rr", weights: {}, externalIps: [], createdAt: "", ...extra,
});
const keys = (list: readonly Service[]) => list.map((s) => serviceKey(s.name, serviceNamespace(s)));

test("the list stays in key order through puts, replacements and deletes, and is the same array until a write", () => {
  const index = new ServiceIndex([svc("m", "10.96.0.1"), svc("b", "10.96.0.2")]);
  index.put(svc("z", "10.96.0.3"));
  index.put(svc("a", "10.96.0.4", { namespace: "x" }));
  index.put(svc("c", "10.96.0.5"));
  index.put({ ...svc("m", "10.96.0.6") });
  index.delete("id-b");
  const list = index.list();
  assert.deepEqual(keys(list), ["c", "m", "x/a", "z"]);
  assert.deepEqual(keys(list), [...keys(list)].sort());
  assert.equal(index.list(), list);
  index.put(svc("d", "10.96.0.7"));
  assert.notEqual(index.list(), list);
  assert.deepEqual(keys(list), ["c", "m", "x/a", "z"], "a list handed out never changes");
});

test("holders follow writes: VIPs, external addresses and host ports are free again once their holder lets go", () => {
  const index = new ServiceIndex([]);
  const web = svc("web", "10.96.0.10", { externalIps: ["192.0.2.7"], ports: [{ port: 80, targetPort: 80, protocol: "tcp", hostPort: 30080 }] });
  index.put(web);
  assert.equal(index.vip("10.96.0.10")?.name, "web");
  assert.equal(index.addrPort("192.0.2.7", "tcp", 80)?.name, "web");
  assert.equal(index.hostPort("tcp", 30080)?.name, "web");
  index.put({ ...web, vip: "10.96.0.11", externalIps: [], ports: [{ port: 80, targetPort: 80, protocol: "tcp" }] });
  assert.equal(index.vip("10.96.0.10"), undefined);
  assert.equal(index.vip("10.96.0.11")?.name, "web");
  assert.equal(index.addrPort("192.0.2.7", "tcp", 80), undefined);
  assert.equal(index.hostPort("tcp", 30080), undefined);
});

test("the watched services (health checks, lc/wlc) follow writes", () => {
  const index = new ServiceIndex([svc("a", "10.96.0.1", { scheduler: "lc" }), svc("b", "10.96.0.2")]);
  index.put(svc("c", "10.96.0.3", { health: { kind: "tcp", intervalMs: 1000, timeoutMs: 500, rise: 1, fall: 1 } }));
  assert.deepEqual([...index.countingConnections()].map((s) => s.name), ["a"]);
  assert.deepEqual([...index.withHealth()].map((s) => s.name), ["c"]);
  index.put(svc("a", "10.96.0.1"));
  index.delete("id-c");
  assert.deepEqual([...index.countingConnections()], []);
  assert.deepEqual([...index.withHealth()], []);
});

test("the first free VIP is the lowest one no stored service holds, also after a lower one is released", () => {
  const range = parseCidr("10.96.0.0/16");
  const index = new ServiceIndex([1, 2, 3, 5].map((i) => svc(`s${i}`, `10.96.0.${i}`)));
  assert.equal(index.firstFreeVip(range), 0x0a600004n);
  index.put(svc("s4", "10.96.0.4"));
  assert.equal(index.firstFreeVip(range), 0x0a600006n);
  index.delete("id-s2");
  assert.equal(index.firstFreeVip(range), 0x0a600002n);
});

test("the store's index is rebuilt from the database after a rolled-back transaction", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ponton-index-"));
  const store = new SqliteStore(path.join(dir, "s.db"), { synchronous: "NORMAL" });
  try {
    store.putService(svc("a", "10.96.0.1"));
    assert.throws(() =>
      store.transaction(() => {
        store.putService(svc("b", "10.96.0.2"));
        throw new Error("refused");
      }),
    );
    assert.deepEqual(keys(store.services()), ["a"]);
    assert.equal(store.serviceLookups().vip("10.96.0.2"), undefined);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
