// `ponton network rm` of a cluster network: refused while any node has a workload on it (naming the
// node and its workloads), or while a node that holds a block of it is NotReady (its workloads may be
// there); otherwise the network and every block of it leave etcd in one transaction (if the network is
// still there), and each node then drops its piece (bridge, VTEP address, routes to the
// others' blocks) on its next sync. etcd away: STORE_UNAVAILABLE, nothing changed anywhere.
import type { Etcd3 } from "etcd3";
import { EngineError } from "../../errors";
import { etcdCall } from "../etcd";
import { BLOCKS, networkKey, parseBlockKey } from "../keys";
import type { NodeView } from "../node-view";

export interface RemovalCheck {
  self: string;
  nodes: NodeView[];
  /** This node's workloads on its piece of the network. */
  localUsers(): string[];
  /** A Ready node's workloads with their networks (its peer listener's GET /v1/workloads). */
  listOf(node: NodeView): Promise<{ name: string; networks?: { network: string }[] }[]>;
}

/** Remove cluster network NAME; NETWORK_NOT_FOUND when etcd has no such network. */
export async function removeClusterNetwork(etcd: Etcd3, name: string, check: RemovalCheck): Promise<{ blocks: number }> {
  const what = `network rm ${name}`;
  const { record, holders } = await etcdCall(what, async () => {
    const got = await etcd.get(networkKey(name)).exec();
    const blocks = await etcd.getAll().prefix(`${BLOCKS}${name}/`).strings();
    return { record: got.kvs[0], holders: Object.entries(blocks).flatMap(([k, node]) => (parseBlockKey(k) ? [{ block: parseBlockKey(k)!.block, node }] : [])) };
  });
  if (!record) throw new EngineError("NETWORK_NOT_FOUND", `${what}: no cluster network ${name}`);
  for (const h of [...new Map(holders.map((x) => [x.node, x])).values()].sort((a, b) => a.node.localeCompare(b.node))) {
    const users = await usersOn(name, h.node, check, h.block);
    if (users.length) throw new EngineError("NETWORK_IN_USE", `${what}: node ${h.node} has workloads on it: ${users.join(", ")}`, { hint: "remove them first (ponton rm works from any node)" });
  }
  return etcdCall(what, async () => {
    const r = await etcd
      .if(networkKey(name), "Version", ">", 0)
      .then(etcd.delete().key(networkKey(name)), etcd.delete().prefix(`${BLOCKS}${name}/`))
      .commit();
    if (!r.succeeded) throw new EngineError("NETWORK_NOT_FOUND", `${what}: another node removed it meanwhile`);
    return { blocks: holders.length };
  });
}

async function usersOn(network: string, node: string, check: RemovalCheck, block: string): Promise<string[]> {
  if (node === check.self) return check.localUsers();
  const n = check.nodes.find((x) => x.name === node);
  const notReady = () =>
    new EngineError("NODE_NOT_READY", `network rm ${network}: node ${node} holds its block ${block} and does not answer; its workloads may be on it`, {
      hint: `bring ${node} back, or forget it with 'ponton node rm ${node}'`,
    });
  if (!n || n.status !== "Ready") throw notReady();
  let ws;
  try {
    ws = await check.listOf(n);
  } catch {
    throw notReady();
  }
  return ws.filter((w) => w.networks?.some((a) => a.network === network)).map((w) => w.name).sort();
}
