// A node's part in a cluster: the etcd connection, its membership, and (later) pod blocks and the overlay.
import type { Etcd3 } from "etcd3";
import { connectEtcd } from "./etcd";
import { Membership } from "./membership";
import { sourceAddressTowards } from "./node-address";
import type { ClusterOptions } from "./options";
import type { NodeView } from "./node-view";

export class Cluster {
  private constructor(
    private readonly etcd: Etcd3,
    readonly membership: Membership,
  ) {}

  static async join(opts: ClusterOptions, workloads: () => number): Promise<Cluster> {
    const address = opts.nodeIp ?? (await sourceAddressTowards(opts.endpoints[0]!));
    const etcd = connectEtcd(opts.endpoints);
    const membership = new Membership(etcd, { nodeName: opts.nodeName, address, leaseTtlS: opts.leaseTtlS }, workloads);
    try {
      await membership.join();
    } catch (e) {
      etcd.close();
      throw e;
    }
    return new Cluster(etcd, membership);
  }

  get nodeName(): string {
    return this.membership.spec.nodeName;
  }

  nodes(): Promise<NodeView[]> {
    return this.membership.list();
  }

  removeNode(name: string) {
    return this.membership.remove(name);
  }

  async close(): Promise<void> {
    await this.membership.close();
    this.etcd.close();
  }
}
