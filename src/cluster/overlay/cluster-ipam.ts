// Cluster networks and their per-node blocks in etcd. Every allocation is a transaction that
// creates the block's key only if nobody has (compare-and-create), so two nodes never share a block.
import type { Etcd3 } from "etcd3";
import { EngineError } from "../../errors";
import { cidrsOverlap, parseCidr } from "../../model/ip";
import { etcdCall } from "../etcd";
import { freeBlocks, rangesOf, validateClusterNetwork, type ClusterNetwork, type ClusterNetworkSpec, type BlockRange } from "./blocks";
import { BLOCKS, NETWORKS, blockKey, networkKey, parseBlockKey } from "../keys";

export class ClusterIpam {
  constructor(private readonly etcd: Etcd3) {}

  async create(spec: ClusterNetworkSpec): Promise<ClusterNetwork> {
    const n = validateClusterNetwork(spec);
    return etcdCall(`network create ${n.name}`, async () => {
      const existing = Object.values(await this.etcd.getAll().prefix(NETWORKS).strings()).map((v) => JSON.parse(v) as ClusterNetwork);
      for (const mine of rangesOf(n)) {
        for (const e of existing) {
          const theirs = rangesOf(e).find((r) => e.name !== n.name && overlaps(r.subnet, mine.subnet));
          if (theirs) throw new EngineError("SUBNET_OVERLAP", `network create ${n.name}: ${mine.subnet} overlaps cluster network ${e.name} (${theirs.subnet})`);
        }
      }
      const r = await this.etcd.if(networkKey(n.name), "Create", "==", 0).then(this.etcd.put(networkKey(n.name)).value(JSON.stringify(n))).commit();
      if (!r.succeeded) throw new EngineError("NAME_IN_USE", `network create ${n.name}: a cluster network of that name exists`);
      return n;
    });
  }

  async networks(): Promise<ClusterNetwork[]> {
    const all = await etcdCall("list cluster networks", () => this.etcd.getAll().prefix(NETWORKS).strings());
    return Object.values(all).map((v) => JSON.parse(v) as ClusterNetwork);
  }

  /**
   * The node's blocks of `n`, one per family (IPv4, then IPv6 if dual stack): for each, the one it
   * already holds (it came back), else the first it wins. Both families' blocks are keys of one prefix.
   */
  async claim(n: ClusterNetwork, node: string): Promise<string[]> {
    return etcdCall(`claim a block of ${n.name} for ${node}`, async () => {
      const held = Object.entries(await this.etcd.getAll().prefix(`${BLOCKS}${n.name}/`).strings()).flatMap(([k, v]) => {
        const b = parseBlockKey(k);
        return b ? [{ block: b.block, node: v }] : [];
      });
      const out: string[] = [];
      for (const range of rangesOf(n)) {
        const family = parseCidr(range.subnet).family;
        const ofFamily = held.filter((h) => parseCidr(h.block).family === family);
        out.push(ofFamily.find((h) => h.node === node)?.block ?? (await this.claimFree(n, range, node, new Set(ofFamily.map((h) => h.block)))));
      }
      return out;
    });
  }

  private async claimFree(n: ClusterNetwork, range: BlockRange, node: string, taken: ReadonlySet<string>): Promise<string> {
    for (const block of freeBlocks(range, taken)) {
      const key = blockKey(n.name, block);
      const r = await this.etcd.if(key, "Create", "==", 0).then(this.etcd.put(key).value(node)).commit();
      if (r.succeeded) return block;
      // Another node won this one between our read and our write: try the next.
    }
    throw new EngineError("POOL_EXHAUSTED", `network ${n.name}: every /${range.mask} block of ${range.subnet} is held by a node`, { hint: "forget dead nodes with 'ponton node rm', or use a larger --subnet / longer --node-mask" });
  }
}

const overlaps = (a: string, b: string) => {
  const [x, y] = [parseCidr(a), parseCidr(b)];
  return x.family === y.family && cidrsOverlap(x, y);
};
