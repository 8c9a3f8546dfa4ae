// BGP failover at an ECMP ToR (test/integration/lb/bgp-ecmp-world.ts): three pontond nodes of one
// cluster announce a LoadBalancer address (externalTrafficPolicy Local) to a real FRR ToR holding one
// path per node, hashing on ports too. Before each withdrawal the client finds source ports whose
// connections go through that node; then it opens new connections from those ports again and again
// (500 ms connect timeout). Per round, the time from the node withdrawn until a connection from every
// one of those ports is answered (by the nodes left):
//  - endpoint: `ponton rm` of the node's only local endpoint (the node withdraws its /32 at once);
//  - kill: the node dies as a machine does (pontond and bgpd -9, link down, graceful restart off): the
//    ToR drops the path at hold-time expiry (--hold S; FRR's datacenter default, what the node asks
//    with no holdTimeSeconds, is 9 s; Cilium's default is 90 s).
// The node comes back between rounds (its paths all back at the ToR).
// Run: npm run build && sudo node dist/bench/lb/ecmp-failover.js [--rounds 3] [--hold S]
import os from "node:os";
import { EcmpWorld, nodeIp } from "../../test/integration/lb/bgp-ecmp-world";
import { median, reuseTimeWait, round2 } from "../lib/traffic";

const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const rounds = Number(arg("--rounds") ?? 3);
const hold = arg("--hold") ? Number(arg("--hold")) : undefined;
const all = [nodeIp(0), nodeIp(1), nodeIp(2)];
const stats = (ms: number[]) => ({ p50: round2(median(ms)), min: round2(Math.min(...ms)), max: round2(Math.max(...ms)), all: ms.map(round2) });

async function main(): Promise<void> {
  const w = new EcmpWorld();
  try {
    await w.setUp(hold);
    await w.waitNexthops(all);
    await reuseTimeWait(w.inClient);
    const endpoint: number[] = [];
    const kill: number[] = [];
    const load: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const h = w.nodes[i % 3]!;
      load.push(os.loadavg()[0]!);
      let ports = await w.portsThrough(w.nodeName(h));
      let t0 = Date.now();
      await h.pontonOk("rm", `web-${w.nodeName(h)}`, "-t", "0");
      endpoint.push(await w.msUntilFlowsSucceed(t0, ports));
      await h.pontonOk("run", "--name", `web-${w.nodeName(h)}`, "--network", "front", "--label", "app=web", "--", "socat", "TCP-LISTEN:8080,fork,reuseaddr", `SYSTEM:echo ${w.nodeName(h)}`);
      await w.waitNexthops(all);
      ports = await w.portsThrough(w.nodeName(h));
      t0 = Date.now();
      await w.killNode(h);
      kill.push(await w.msUntilFlowsSucceed(t0, ports));
      await w.revive(h);
      await w.waitNexthops(all, 120_000);
      // The path is back at the ToR: wait until connections through it succeed before the next round.
      await w.msUntilFlowsSucceed(Date.now(), await w.portsThrough(w.nodeName(h)));
    }
    console.log(JSON.stringify({ bench: "lb/ecmp-failover", loadAverage1m: load.map((l) => Number(l.toFixed(1))), holdTimeS: hold ?? "9 (FRR datacenter default)", rounds, endpointRemovedToFlowsAnsweredMs: stats(endpoint), nodeKilledToFlowsAnsweredMs: stats(kill) }, null, 2));
  } finally {
    await w.tearDown();
  }
}

void main().catch((e: Error) => {
  console.error(e);
  process.exitCode = 1;
});
