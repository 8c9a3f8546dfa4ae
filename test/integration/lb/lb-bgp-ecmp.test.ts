// ECMP at the ToR: three pontond nodes of one cluster each announce the LoadBalancer address to a
// real FRR router, which holds one path per node (`show bgp ipv4 ADDR` multipath, a multipath kernel
// route) and spreads a client's connections over them. A node whose local endpoint goes
// (externalTrafficPolicy Local) withdraws its path; a node that dies (pontond and bgpd -9, link down,
// graceful restart off) loses it at hold-time expiry; either way the client's connections all
// succeed again, through the nodes left.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { eventually } from "../harness";
import { EcmpWorld, ECMP_LB, nodeIp } from "./bgp-ecmp-world";
import { FRR } from "./frr-tor";
import { tally } from "../replies";

describe("ECMP at a ToR with several BGP nodes", { skip: !existsSync(`${FRR}/bgpd`) && "FRR is not installed (apt-get install frr)" }, () => {
  const w = new EcmpWorld();
  before(() => w.setUp(3));
  after(() => w.tearDown());

  test("the ToR holds one path per node, as a multipath kernel route, and the client's connections reach every node", async () => {
    await w.waitNexthops([nodeIp(0), nodeIp(1), nodeIp(2)]);
    const paths = await w.torPaths();
    assert.equal(paths.filter((p) => p.multipath || p.bestpath).length, 3, JSON.stringify(paths));
    const show = await w.torCli(["-c", `show bgp ipv4 ${ECMP_LB}/32`]);
    assert.match(show.stdout, /Paths: \(3 available/);
    assert.equal((show.stdout.match(/multipath/g) ?? []).length, 3, show.stdout);
    let seen: Record<string, number> = {};
    assert.ok(await eventually(async () => {
      seen = tally(await w.answers(30));
      return Object.keys(seen).sort().join(",") === "n1,n2,n3";
    }, 30_000, 500), `answers: ${JSON.stringify(seen)}`);
  });

  test("externalTrafficPolicy Local: a node's endpoint removed withdraws its path; every connection then succeeds through the others", async () => {
    await w.nodes[0]!.pontonOk("rm", "web-n1", "-t", "0");
    await w.waitNexthops([nodeIp(1), nodeIp(2)]);
    const seen = tally(await w.answers(20));
    assert.deepEqual(Object.keys(seen).sort(), ["n2", "n3"], JSON.stringify(seen));
  });

  test("a node killed (pontond and bgpd -9, link down; graceful restart off): its path goes at hold-time expiry and the client's connections all succeed again", async () => {
    const ports = await w.portsThrough("n2");
    const t0 = Date.now();
    await w.killNode(w.nodes[1]!);
    await w.waitNexthops([nodeIp(2)]);
    const ms = await w.msUntilFlowsSucceed(t0, ports);
    console.log(`# ECMP: ${ms} ms from the kill to the flows that went through n2 answered again (hold time 3 s)`);
    const seen = tally(await w.answers(10));
    assert.deepEqual(seen, { n3: 10 });
  });
});
