// L2 failover by heartbeat, not by lease expiry: etcd here runs with a 5 s election timeout, so the
// shortest lease it grants lives 8 s (1.5 election timeouts, whole seconds). A holder killed (pontond
// -9, link down) is replaced while its lease is still alive — a standby saw its heartbeat key stand
// still for 1 s and took the address in a transaction on mod revisions. A holder cut off from etcd
// (its link to the segment up) stops answering once its own heartbeat is stale, so the client never
// hears two nodes for one address.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { eventually, sh } from "../harness";
import { L2ClusterWorld, LB } from "./l2-cluster-world";
import { UNDERLAY_PREFIX } from "../underlay";

const ETCD = `${UNDERLAY_PREFIX}.2`;

describe("L2 failover by heartbeat (etcd's minimum lease 8 s here)", () => {
  const w = new L2ClusterWorld();
  before(() => w.setUp([], { heartbeatMs: 500, electionMs: 5000 }));
  after(() => w.tearDown());

  const leaseOf = async (k: string): Promise<string> => {
    const r = await w.ul.etcdctl("get", k, "-w", "json");
    // Lease ids are 64-bit: read the digits, not a JSON number.
    const lease = /"lease":(\d+)/.exec(r.stdout)?.[1];
    assert.ok(lease, `${k} has a lease: ${r.stdout}`);
    return BigInt(lease).toString(16);
  };
  const ttl = async (leaseHex: string) => (JSON.parse((await w.ul.etcdctl("lease", "timetolive", leaseHex, "-w", "json")).stdout) as { ttl: number }).ttl;
  const announcing = async (name: string) => (await w.status(w.node(name))).interfaces.some((i) => i.addresses.includes(LB));

  let first = "";
  let second = "";
  test("the holder killed: another node takes the address while the dead holder's lease still lives", async () => {
    first = await w.holder();
    const lease = await leaseOf(`/ponton/l2/${LB}`);
    assert.ok((await ttl(lease)) > 0, "the holder's lease lives");
    const { by } = await w.killHolder(first);
    second = by;
    assert.notEqual(second, first);
    const left = await ttl(lease);
    assert.ok(left > 0, `the dead holder's lease is still alive (ttl ${left} s): the takeover did not wait for it`);
    assert.equal(await w.holder(w.nodes.filter((h) => w.nodeName(h) !== first)), second);
  });

  test("the holder cut off from etcd, its link up: it stops answering and one other node answers", async () => {
    const h = w.node(second);
    const third = ["n1", "n2", "n3"].find((n) => n !== first && n !== second)!;
    await h.inHost("ip", ["route", "add", "blackhole", `${ETCD}/32`]);
    try {
      assert.ok(await eventually(async () => !(await announcing(second)), 30_000, 200), `${second} still answers`);
      assert.ok(await eventually(async () => (await w.status(w.node(third))).holders?.[LB] === third && (await announcing(third)), 30_000, 200), `nobody took over: ${JSON.stringify(await w.status(w.node(third)))}`);
      assert.ok(await eventually(async () => (await w.clientNeighMac()) === w.macs[third] && (await w.answeredBy()) === third, 15_000, 200));
      // Asked again, the client learns the new holder's MAC (the cut-off one no longer answers).
      await sh("ip", ["-n", w.clientNs, "neigh", "flush", "to", LB]);
      assert.equal(await w.answeredBy(), third);
      assert.equal(await w.clientNeighMac(), w.macs[third]);
    } finally {
      await h.inHost("ip", ["route", "del", "blackhole", `${ETCD}/32`]);
    }
    // Back in touch: it sees the new holder and does not take the address back.
    assert.ok(await eventually(async () => (await w.status(h)).holders?.[LB] === third, 30_000, 200));
    assert.equal(await announcing(second), false);
  });
});
