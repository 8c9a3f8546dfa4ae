// Run by cluster-lease.test.ts inside etcd's namespace: `node lease-probe.js ENDPOINT TTL BUSY_MS KEEPER`.
// A node's membership is joined, then the thread is kept busy (nothing else runs on it) for
// BUSY_MS — longer than the lease's TTL — as a recompile over every node's workloads does on a
// loaded machine. Prints what became of the node's `alive` key. KEEPER "thread": the daemon's lease
// thread; "inline": etcd3's own keep-alive on the busy thread (the control: it must lose the key).
import type { Lease } from "etcd3";
import { connectEtcd } from "../../../src/cluster/etcd";
import { nodeAliveKey } from "../../../src/cluster/keys";
import { LeaseKeeper } from "../../../src/cluster/lease-keeper";
import { Membership } from "../../../src/cluster/membership";

async function main(): Promise<void> {
  const [endpoint, ttl, busyMs, keeper] = process.argv.slice(2) as [string, string, string, "thread" | "inline"];
  const etcd = connectEtcd([endpoint]);
  const key = nodeAliveKey("busy");
  let registrations = 0;
  let close: () => Promise<unknown>;
  if (keeper === "thread") {
    const m = new Membership(etcd, { nodeName: "busy", address: "192.0.2.1", leaseTtlS: Number(ttl) }, () => 0, new LeaseKeeper({ endpoints: [endpoint] }));
    m.onRegistered = () => registrations++;
    await m.join();
    close = () => m.close();
  } else {
    const lease: Lease = etcd.lease(Number(ttl), { autoKeepAlive: true });
    await lease.put(key).value("192.0.2.1");
    registrations++;
    close = () => lease.revoke();
  }
  const before = (await etcd.get(key).exec()).kvs[0]!;
  const end = Date.now() + Number(busyMs);
  while (Date.now() < end);
  const after = (await etcd.get(key).exec()).kvs[0];
  console.log(JSON.stringify({ registrations, before: { created: before.create_revision, lease: before.lease }, after: after ? { created: after.create_revision, lease: after.lease } : null }));
  await close();
  etcd.close();
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
