// The node's lease, kept alive on a thread of its own over an etcd connection of its own: the
// daemon's thread may be busy for seconds (a recompile over every node's workloads on a loaded
// machine) and its gRPC traffic queued behind watch fan-out, but the keep-alive never waits for
// either, so a busy node stays Ready (its `alive` key lives) and the others keep its workloads.
import { parentPort, workerData } from "node:worker_threads";
import type { Lease } from "etcd3";
import { connectEtcd } from "./etcd";
import type { FromLeaseWorker, LeaseWorkerData, ToLeaseWorker } from "./lease-keeper";

const port = parentPort!;
const { endpoints, credentials: c } = workerData as LeaseWorkerData;
// Buffers cross to a thread as plain Uint8Arrays; the gRPC channel takes Buffers only.
const credentials = c && { rootCertificate: Buffer.from(c.rootCertificate), ...(c.certChain ? { certChain: Buffer.from(c.certChain) } : {}), ...(c.privateKey ? { privateKey: Buffer.from(c.privateKey) } : {}) };
const etcd = connectEtcd(endpoints, credentials);
let lease: Lease | undefined;
const post = (m: FromLeaseWorker) => port.postMessage(m);

async function grant(ttl: number): Promise<string> {
  // A new lease replaces the one held (lost, or the node registers again): the old one is let go.
  const old = lease;
  lease = undefined;
  void old?.revoke().catch(() => undefined);
  const l = etcd.lease(ttl, { autoKeepAlive: true });
  l.on("lost", (e: Error) => {
    if (lease !== l) return;
    lease = undefined;
    post({ lost: e.message });
  });
  try {
    const id = await l.grant();
    lease = l;
    return id;
  } catch (e) {
    l.release();
    throw e;
  }
}

port.on("message", (m: ToLeaseWorker) => {
  const done = m.op === "grant" ? grant(m.ttl) : (lease?.revoke() ?? Promise.resolve()).then(() => ((lease = undefined), etcd.close(), undefined));
  done.then(
    (id) => post({ seq: m.seq, ...(id !== undefined ? { id } : {}) }),
    (e: Error) => post({ seq: m.seq, error: e.message }),
  );
});
