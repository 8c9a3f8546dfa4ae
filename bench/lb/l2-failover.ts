// L2 failover in a cluster: three pontond nodes on one etcd and a client on one switch
// (test/integration/lb/l2-cluster-world.ts). Each round the node announcing the LoadBalancer address
// dies as a machine does (pontond -9, its link down) and the client tries new connections (200 ms
// connect timeout, one after another) until one is answered by another node: the time from the kill
// to that answer. The dead node comes back (it does not take the address back) before the next round.
// --fast-etcd: etcd's election timeout 500 ms (heartbeat 50), so it grants the 1 s lease asked for
// (with its defaults, 1 s becomes its minimum, 2 s). Failover follows the holder's heartbeat
// (src/cluster/l2/l2-leases.ts), not the lease, so both should give the same figure.
// Run: npm run build && sudo node dist/bench/lb/l2-failover.js [--rounds 5] [--lease S] [--renew MS] [--fast-etcd]
import os from "node:os";
import { L2ClusterWorld } from "../../test/integration/lb/l2-cluster-world";
import { median, round2 } from "../lib/traffic";

const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const rounds = Number(arg("--rounds") ?? 5);
const leaseArgs = [...(arg("--lease") ? ["--l2-lease-duration", arg("--lease")!] : []), ...(arg("--renew") ? ["--l2-lease-renew", arg("--renew")!] : [])];

async function main(): Promise<void> {
  const w = new L2ClusterWorld();
  try {
    await w.setUp(leaseArgs, process.argv.includes("--fast-etcd") ? { heartbeatMs: 50, electionMs: 500 } : undefined);
    const ms: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const holder = await w.holder();
      const r = await w.killHolder(holder);
      ms.push(r.ms);
      await w.revive(holder);
      await w.holder();
    }
    console.log(JSON.stringify({ bench: "lb/l2-failover", loadAverage1m: Number(os.loadavg()[0]!.toFixed(1)), lease: leaseArgs.join(" ") || "defaults (1 s, renew 250 ms)", etcd: process.argv.includes("--fast-etcd") ? "election 500 ms, heartbeat 50 ms (minimum TTL 1 s)" : "election 1000 ms, heartbeat 100 ms (minimum TTL 2 s)", rounds, killToAnsweredMs: { p50: round2(median(ms)), min: round2(Math.min(...ms)), max: round2(Math.max(...ms)), all: ms.map(round2) } }, null, 2));
  } finally {
    await w.tearDown();
  }
}

void main().catch((e: Error) => {
  console.error(e);
  process.exitCode = 1;
});
