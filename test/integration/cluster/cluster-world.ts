// The set-up most cluster tests share: test hosts started as cluster nodes n1…nN on an underlay
// (addresses .11, .12, …), and a cluster network every node lists.
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { eventually, type TestHost } from "../harness";
import { UNDERLAY_PREFIX, type Underlay } from "../underlay";

/** Node i's address on the underlay. */
export const nodeAddress = (i: number) => `${UNDERLAY_PREFIX}.${11 + i}`;

/**
 * Start every host as node i of `ul`'s etcd, plugged into the underlay first; `extra`: more daemon
 * flags; `serial`: one after the other (the first node then agrees the cluster's settings alone).
 */
export async function startNodes(ul: Underlay, nodes: TestHost[], opts: { ttlS?: number; extra?: string[]; serial?: boolean } = {}): Promise<void> {
  const start = (h: TestHost, i: number) => {
    h.daemonArgs = ["--cluster", ul.endpoints.join(","), "--node-name", `n${i + 1}`, "--node-ip", nodeAddress(i), "--node-lease-ttl", String(opts.ttlS ?? 2), ...(opts.extra ?? [])];
    return h.setUp({ beforeDaemon: () => ul.plug(h.hostNs, "ul0", nodeAddress(i)).then(() => undefined) });
  };
  if (opts.serial) for (const [i, h] of nodes.entries()) await start(h, i);
  else await Promise.all(nodes.map(start));
}

/** Create cluster network `pods` (10.42.0.0/16) on the first node and wait until every node lists it. */
export async function podsNetwork(nodes: TestHost[]): Promise<void> {
  await nodes[0]!.pontonOk("network", "create", "pods", "--scope", "cluster", "--subnet", "10.42.0.0/16");
  for (const h of nodes) {
    assert.ok(await eventually(async () => (JSON.parse(await h.pontonOk("network", "ls", "-o", "json")) as { name: string }[]).some((n) => n.name === "pods"), 20_000));
  }
}

/**
 * A suite's hooks for that world: the underlay and one etcd, every node started (startNodes' options),
 * the `pods` network, then `ready`; everything removed after.
 */
export function podsWorld(ul: Underlay, nodes: TestHost[], opts: Parameters<typeof startNodes>[2] = {}, ready?: () => Promise<unknown>): void {
  before(async () => {
    await ul.setUp();
    await ul.startEtcd(1);
    await startNodes(ul, nodes, opts);
    await podsNetwork(nodes);
    await ready?.();
  });
  after(async () => {
    for (const h of nodes) await h.tearDown();
    await ul.tearDown();
  });
}
