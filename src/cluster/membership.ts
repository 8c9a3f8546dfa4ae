// A node in the cluster: its record under /ponton/nodes/NAME, kept alive by a lease.
// The record (address, heartbeat, workload count) outlives the node; the `alive` key dies with the
// lease, so every node sees another as NotReady within the lease TTL of its death. The lease is kept
// alive on a thread of its own (lease-keeper.ts): a node busy applying changes never loses it.
import { namesOf } from "./workloads/workload-names";
import type { Etcd3 } from "etcd3";
import { EngineError } from "../errors";
import { etcdCall } from "./etcd";
import type { LeaseKeeper } from "./lease-keeper";
import { BLOCKS, NODES, nodeAliveKey, nodeInfoKey, parseBlockKey, parseNodeKey } from "./keys";
import { nodeViews, type NodeInfo, type NodeView } from "./node-view";

export interface MemberSpec {
  nodeName: string;
  address: string;
  leaseTtlS: number;
  /** Filled in by the overlay once its device exists. */
  vtepMac?: string;
  /** Filled in with native routing: the underlay's link-local IPv6 address, if it has one. */
  linkLocal6?: string;
}

export class Membership {
  /** The id of the lease the `alive` key and the workload records live under. */
  private lease: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private warned = false;
  /** Called each time the node (re)registers: what lived under a lost lease must be written again. */
  onRegistered: (() => void) | undefined;

  constructor(
    private readonly etcd: Etcd3,
    readonly spec: MemberSpec,
    private readonly workloads: () => number,
    private readonly keeper: LeaseKeeper,
  ) {
    keeper.onLost = () => {
      // etcd was away longer than the TTL: take a new lease as soon as it answers again.
      if (this.closed || !this.lease) return;
      this.lease = undefined;
      void this.reRegister();
    };
  }

  /** Register (refused with STORE_UNAVAILABLE when etcd does not answer) and keep the lease alive. */
  async join(): Promise<void> {
    await etcdCall(`join the cluster as ${this.spec.nodeName}`, () => this.register());
    // Heartbeats a third of the TTL apart: the record shows a recent time while the node lives.
    this.timer = setInterval(() => void this.beat(), (this.spec.leaseTtlS * 1000) / 3);
    this.timer.unref();
  }

  private async register(): Promise<void> {
    const lease = await this.keeper.grant(this.spec.leaseTtlS);
    await this.writeInfo();
    await this.etcd.put(nodeAliveKey(this.spec.nodeName)).value(this.spec.address).lease(lease).exec();
    this.lease = lease;
    this.onRegistered?.();
  }

  /** The current lease's id (undefined while there is none: etcd away longer than the TTL). */
  leaseId(): Promise<string | undefined> {
    return Promise.resolve(this.lease);
  }

  private async reRegister(): Promise<void> {
    while (!this.closed && !this.lease) {
      try {
        await this.register();
        console.log(`pontond: cluster: registered again as ${this.spec.nodeName}`);
      } catch {
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private writeInfo(): Promise<unknown> {
    const info: NodeInfo = { name: this.spec.nodeName, address: this.spec.address, heartbeat: new Date().toISOString(), workloads: this.workloads(), ...(this.spec.vtepMac ? { vtepMac: this.spec.vtepMac } : {}), ...(this.spec.linkLocal6 ? { linkLocal6: this.spec.linkLocal6 } : {}) };
    return this.etcd.put(nodeInfoKey(this.spec.nodeName)).value(JSON.stringify(info)).exec();
  }

  private async beat(): Promise<void> {
    try {
      await this.writeInfo();
      this.warned = false;
    } catch (e) {
      if (!this.warned) console.error(`pontond: cluster: heartbeat failed: ${(e as Error).message}`);
      this.warned = true;
    }
  }

  /** Publish a changed record now (e.g. once the VXLAN MAC is known). */
  refresh(): Promise<void> {
    return etcdCall("update this node's record", () => this.writeInfo().then(() => undefined));
  }

  async list(): Promise<NodeView[]> {
    const [nodes, blocks] = await etcdCall("list nodes", () => Promise.all([this.etcd.getAll().prefix(NODES).strings(), this.etcd.getAll().prefix(BLOCKS).strings()]));
    const infos: NodeInfo[] = [];
    const alive = new Set<string>();
    for (const [key, value] of Object.entries(nodes)) {
      const k = parseNodeKey(key);
      if (k?.kind === "alive") alive.add(k.node);
      if (k?.kind === "info") infos.push(JSON.parse(value) as NodeInfo);
    }
    const held = Object.entries(blocks).flatMap(([key, node]) => {
      const b = parseBlockKey(key);
      return b ? [{ ...b, node }] : [];
    });
    return nodeViews(infos, alive, held);
  }

  /** Forget a dead node: its record and the pod blocks it held. A Ready node is refused. */
  async remove(name: string): Promise<{ removed: string; blocks: number }> {
    const node = (await this.list()).find((n) => n.name === name);
    if (!node) throw new EngineError("NOT_FOUND", `node rm ${name}: no such node`, { hint: "list nodes with 'ponton node ls'" });
    if (node.status === "Ready") throw new EngineError("NODE_READY", `node rm ${name}: the node is Ready`);
    return etcdCall(`node rm ${name}`, async () => {
      // One transaction: the node's keys and its blocks go together, and only if it is still not alive.
      const blocks = await this.etcd.getAll().prefix(BLOCKS).strings();
      const mine = Object.entries(blocks).filter(([, v]) => v === name).map(([k]) => k);
      const names = await namesOf(this.etcd, name);
      const ops = [this.etcd.delete().prefix(`${NODES}${name}/`), ...[...mine, ...names].map((k) => this.etcd.delete().key(k))];
      const r = await this.etcd.if(nodeAliveKey(name), "Create", "==", 0).then(...ops).commit();
      if (!r.succeeded) throw new EngineError("NODE_READY", `node rm ${name}: the node came back`);
      return { removed: name, blocks: mine.length };
    });
  }

  /** Leave: the lease is revoked, so the others see this node NotReady at once. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.keeper.close();
  }
}
