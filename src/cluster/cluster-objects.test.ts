import { test } from "node:test";
import assert from "node:assert/strict";
import type { Service } from "../model/services/service";
import { reservations } from "./cluster-objects";

const svc = (name: string, lb: Service["loadBalancer"]): Service => ({ id: name, name, namespace: "shop", vip: "10.96.0.9", ports: [{ port: 80, targetPort: 80, protocol: "tcp" }], selector: {}, scheduler: "rr", weights: {}, externalIps: [], createdAt: "", ...(lb ? { loadBalancer: lb } : {}) });

test("a LoadBalancer service reserves its addresses under its own name", () => {
  const r = reservations(svc("web", { ips: ["198.18.0.1", "fd00:18::1"], requested: [], preferred: [] }));
  assert.deepEqual(r.map((x) => [x.key, x.holder]), [["/ponton/vips/10.96.0.9", "shop/web"], ["/ponton/lbips/198.18.0.1", "shop/web"], ["/ponton/lbips/fd00:18::1", "shop/web"]]);
});

test("services sharing an address by sharing key hold it together (one holder, their namespace and key)", () => {
  const a = reservations(svc("a", { ips: ["198.18.0.1"], requested: [], preferred: [], sharingKey: "k" })).find((x) => x.kind === "LoadBalancer address")!;
  const b = reservations(svc("b", { ips: ["198.18.0.1"], requested: [], preferred: [], sharingKey: "k" })).find((x) => x.kind === "LoadBalancer address")!;
  assert.equal(a.holder, "sharing-key shop/k");
  assert.equal(a.holder, b.holder);
  assert.equal(a.key, b.key);
});

test("a pending LoadBalancer service reserves no address", () => {
  assert.deepEqual(reservations(svc("p", { ips: [], requested: [], preferred: [], pending: { code: "NO_POOL", reason: "" } })).map((x) => x.kind), ["VIP"]);
});
