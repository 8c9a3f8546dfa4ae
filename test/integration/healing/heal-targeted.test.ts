// The healer reads only what an event names: creating and removing workloads on a routed and a
// bridge network makes no repair pass dump every host link (a dump costs O(links) in the kernel,
// so one per few creations made creation O(N²)), and real damage to one workload's veth or host
// route is repaired from a read of that link alone.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TestHost, eventually, inspect, ping, sh } from "../harness";

const PER_NETWORK = 10;

describe("the healer reads only the links an event names", () => {
  let h: TestHost;
  const metrics = async () => (await sh("curl", ["-s", "--unix-socket", h.socket, "http://pontond/metrics"])).stdout;
  const metric = (text: string, name: string) => {
    const found = [...text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\d+)$`, "gm"))];
    assert.ok(found.length, `${name} is exposed`);
    return found.reduce((s, m) => s + Number(m[2]), 0);
  };
  const dumps = async () => metric(await metrics(), "ponton_heal_full_link_dumps_total");
  const repairs = async () => metric(await metrics(), "ponton_repairs_total");
  const att = async (name: string) => (await inspect(h, name)).networks[0]! as { ip4: string; hostIfname: string };
  const hostLink = async (name: string) => {
    const r = await h.inHost("ip", ["-j", "link", "show", "dev", name]);
    return r.code === 0 ? (JSON.parse(r.stdout) as { master?: string; flags: string[] }[])[0] : undefined;
  };
  const hostRoute = async (ip: string) => (await h.inHost("ip", ["-4", "route", "show", "table", "main", `${ip}/32`])).stdout.trim();

  before(async () => {
    h = await new TestHost("he").setUp();
    await h.pontonOk("network", "create", "hr", "--driver", "routed", "--subnet", "10.87.0.0/24");
    await h.pontonOk("network", "create", "hb", "--subnet", "10.88.0.0/24");
  });
  after(() => h.tearDown());

  test("creating and removing workloads: no full link dump, no repair", async () => {
    for (let i = 0; i < PER_NETWORK; i++) {
      await h.pontonOk("run", "--name", `r${i}`, "--network", "hr");
      await h.pontonOk("run", "--name", `b${i}`, "--network", "hb");
    }
    await h.pontonOk("rm", "-f", "r9", "b9");
    // Events of the last changes reach the healer after a debounce.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await dumps(), 0, "no repair pass dumped every host link");
    assert.equal(await repairs(), 0, "nothing was repaired");
  });

  test("a deleted routed veth, a deleted host route and a deleted bridge port are repaired from reads of those links", async () => {
    const r1 = await att("r1");
    const r2 = await att("r2");
    const b1 = await att("b1");
    assert.equal((await h.inHost("ip", ["route", "del", `${r2.ip4}/32`])).code, 0);
    assert.ok(await eventually(async () => (await hostRoute(r2.ip4)).includes(r2.hostIfname)), "r2's host route is back");
    assert.equal((await h.inHost("ip", ["link", "del", r1.hostIfname])).code, 0);
    assert.ok(await eventually(() => ping(h, "r0", r1.ip4), 15_000), "r1's veth and host route are rebuilt");
    assert.equal((await h.inHost("ip", ["link", "del", b1.hostIfname])).code, 0);
    assert.ok(await eventually(async () => (await hostLink(b1.hostIfname))?.master !== undefined, 15_000), "b1's veth is back in its bridge");
    assert.ok(await eventually(() => ping(h, "b0", b1.ip4)), "b1 reachable again");
    assert.equal((await h.inHost("ip", ["link", "set", r2.hostIfname, "down"])).code, 0);
    assert.ok(await eventually(() => ping(h, "r0", r2.ip4), 15_000), "r2's veth set up again, its route back");
    assert.ok((await repairs()) >= 4, "each damage counted as repaired");
    assert.equal(await dumps(), 0, "no repair pass dumped every host link");
  });
});
