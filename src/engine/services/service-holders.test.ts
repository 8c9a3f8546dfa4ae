import { test } from "node:test";
import assert from "node:assert/strict";
import type { Service } from "../../model/services/service";
import { ServiceIndex } from "../../store/service-index";
import { Holders } from "./service-holders";
import { assignVips } from "./service-vips";

const svc = (name: string, vip: string): Service => ({
  id: `id-${name}`, name, vip, ports: [{ port: 80, targetPort: 80, protocol: "tcp" }], selector: {}, scheduler: "rr", weights: {}, externalIps: [], createdAt: "",
});

test("a batch takes the lowest free VIPs one after another, past stored ones and its own", () => {
  const saved = process.env.PONTON_SERVICE_RANGE;
  delete process.env.PONTON_SERVICE_RANGE;
  try {
    const holders = new Holders(new ServiceIndex(["10.96.0.1", "10.96.0.2", "10.96.0.3", "10.96.0.5"].map((v, i) => svc(`s${i}`, v))));
    const got: string[] = [];
    for (const name of ["a", "b", "c"]) {
      const [vip] = assignVips(["IPv4"], [], undefined, holders);
      got.push(vip!);
      holders.add(svc(name, vip!));
    }
    assert.deepEqual(got, ["10.96.0.4", "10.96.0.6", "10.96.0.7"]);
    assert.equal(holders.vip("10.96.0.6")?.name, "b");
    assert.equal(holders.vip("10.96.0.5")?.name, "s3");
  } finally {
    if (saved !== undefined) process.env.PONTON_SERVICE_RANGE = saved;
  }
});
