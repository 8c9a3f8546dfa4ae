// One L2 announcer per address across a cluster (three pontond nodes, etcd, a client on the same
// switch): exactly one node holds the address's lease and answers ARP for it; killed (pontond -9,
// link down), another node takes the lease, sends gratuitous ARP, and the client's connections
// reach that node without the client having to ask.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { eventually } from "../harness";
import { L2ClusterWorld, LB } from "./l2-cluster-world";

describe("L2 announcements in a cluster: one announcer per address, failover", () => {
  const w = new L2ClusterWorld();
  before(() => w.setUp());
  after(() => w.tearDown());

  let first = "";
  test("one node holds the lease and answers; the client reaches that node's backend with its MAC", async () => {
    first = await w.holder();
    const others = w.nodes.filter((h) => w.nodeName(h) !== first);
    for (const h of others) assert.deepEqual((await w.status(h)).interfaces, [], `${w.nodeName(h)} answers nothing`);
    assert.equal(await w.answeredBy(), first);
    assert.equal(await w.clientNeighMac(), w.macs[first]);
  });

  test("the holder killed: another node takes the address over and the client follows its gratuitous ARP", async () => {
    const { ms, by } = await w.killHolder(first);
    console.log(`# L2 failover: ${Math.round(ms)} ms from kill to a connection answered by ${by}`);
    const alive = w.nodes.filter((h) => w.nodeName(h) !== first);
    const second = await w.holder(alive);
    assert.equal(by, second);
    assert.equal(await w.clientNeighMac(), w.macs[second], "the client's entry moved to the new holder");
  });

  test("the old holder back: it does not take the address back (no flapping)", async () => {
    const holder = (await w.status(w.nodes.find((h) => w.nodeName(h) !== first)!)).holders?.[LB];
    await w.revive(first);
    const again = await w.holder();
    assert.equal(again, holder);
    assert.deepEqual((await w.status(w.node(first))).interfaces, []);
  });

  test("externalTrafficPolicy Local: the holder's endpoint gone, it lets the address go and a node with an endpoint takes it", async () => {
    await w.setLocal(true);
    const holder = await w.holder();
    await w.node(holder).pontonOk("rm", `web-${holder}`, "-t", "0");
    let next = "";
    assert.ok(await eventually(async () => {
      next = await w.holder();
      return next !== holder;
    }, 30_000, 200), `still ${holder}`);
    assert.deepEqual((await w.status(w.node(holder))).interfaces, [], "no local endpoint: it answers nothing");
    assert.ok(await eventually(async () => (await w.answeredBy()) === next, 15_000, 200));
  });
});
