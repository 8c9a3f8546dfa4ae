// One L2 announcer per address in a cluster: /ponton/l2/ADDR names the node that answers ARP/NDP
// for ADDR, attached to that node's own etcd lease (one lease per node, renewed every `renewMs`).
// A node that wants an address claims the key when it is free (create-if-absent); when the holder
// dies its lease expires, the key goes, every node that wants it sees the delete and tries; the
// winner answers and sends gratuitous ARP / unsolicited NA. Cilium keeps a Kubernetes Lease per
// service (15 s, renewed every 5 s); here the defaults are 1 s / 250 ms, which etcd raises to its
// minimum TTL (1.5 election timeouts, in whole seconds: 2 s with etcd's default timers).
import type { Etcd3, Lease, Watcher } from "etcd3";
import { EngineError } from "../errors";
import { ROOT } from "./keys";

export const L2_LEASES = `${ROOT}l2/`;
const key = (ip: string) => `${L2_LEASES}${ip}`;

export interface L2LeaseOptions {
  /** The lease's TTL (etcd raises it to its own minimum: 2 s with its default timers). */
  durationS: number;
  renewMs: number;
}

export const DEFAULT_L2_LEASE: L2LeaseOptions = { durationS: 1, renewMs: 250 };

/** `--l2-lease-duration S --l2-lease-renew MS`, checked before anything connects. */
export function parseL2LeaseOptions(duration: string | undefined, renew: string | undefined): L2LeaseOptions {
  const durationS = duration === undefined ? DEFAULT_L2_LEASE.durationS : Number(duration);
  if (!Number.isInteger(durationS) || durationS < 1 || durationS > 3600) throw new EngineError("INVALID_ARGUMENT", `--l2-lease-duration is whole seconds from 1 to 3600, not '${duration}'`);
  const renewMs = renew === undefined ? Math.min(DEFAULT_L2_LEASE.renewMs, (durationS * 1000) / 4) : Number(renew);
  if (!Number.isInteger(renewMs) || renewMs < 50 || renewMs >= durationS * 1000) throw new EngineError("INVALID_ARGUMENT", `--l2-lease-renew is whole milliseconds from 50 to below the lease duration (${durationS * 1000}), not '${renew}'`);
  return { durationS, renewMs };
}

export class L2Leases {
  private lease: Lease | undefined;
  private leaseId = "";
  private timer: NodeJS.Timeout | undefined;
  private watcher: Watcher | undefined;
  /** Address → node holding it, as etcd says. */
  private readonly holders = new Map<string, string>();
  private wanted = new Set<string>();
  private closed = false;

  constructor(
    private readonly etcd: Etcd3,
    private readonly nodeName: string,
    private readonly opts: L2LeaseOptions,
    /** Called when what this node holds changed (the engine re-plans its answers). */
    private readonly onChange: () => void,
  ) {}

  async start(): Promise<void> {
    await this.newLease();
    this.watcher = await this.etcd.watch().prefix(L2_LEASES).create();
    this.watcher.on("put", (kv) => this.seen(kv.key.toString().slice(L2_LEASES.length), kv.value.toString()));
    this.watcher.on("delete", (kv) => this.seen(kv.key.toString().slice(L2_LEASES.length), undefined));
    this.watcher.on("connected", () => void this.reload());
    await this.reload();
  }

  private async newLease(): Promise<void> {
    const lease = this.etcd.lease(this.opts.durationS, { autoKeepAlive: false });
    this.leaseId = await lease.grant();
    this.lease = lease;
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      lease.keepaliveOnce().catch(() => {
        // Expired (etcd away longer than the TTL): what we held is gone; take a new lease and claim again.
        if (this.closed || this.lease !== lease) return;
        this.lease = undefined;
        void this.recover();
      });
    }, this.opts.renewMs);
    this.timer.unref();
  }

  private async recover(): Promise<void> {
    while (!this.closed && !this.lease) {
      try {
        await this.newLease();
        await this.reload();
      } catch {
        await new Promise((r) => setTimeout(r, this.opts.renewMs));
      }
    }
  }

  private async reload(): Promise<void> {
    const all = await this.etcd.getAll().prefix(L2_LEASES).strings();
    const before = this.mine();
    this.holders.clear();
    for (const [k, v] of Object.entries(all)) this.holders.set(k.slice(L2_LEASES.length), v);
    await this.claimFree();
    if (this.mine() !== before) this.onChange();
  }

  private seen(ip: string, node: string | undefined): void {
    const before = this.mine();
    if (node === undefined) this.holders.delete(ip);
    else this.holders.set(ip, node);
    if (node === undefined && this.wanted.has(ip)) void this.claim(ip);
    if (this.mine() !== before) this.onChange();
  }

  private mine(): string {
    return [...this.holders].filter(([, n]) => n === this.nodeName).map(([ip]) => ip).sort().join(",");
  }

  holds = (ip: string): boolean => this.holders.get(ip) === this.nodeName;

  /** Who announces each address, as etcd says. */
  holdersView(): Record<string, string> {
    return Object.fromEntries([...this.holders].sort());
  }

  /** The addresses this node's policies want: free ones are claimed, ones no longer wanted released. */
  want(ips: readonly string[]): void {
    const next = new Set(ips);
    const dropped = [...this.wanted].filter((ip) => !next.has(ip) && this.holds(ip));
    this.wanted = next;
    for (const ip of dropped) void this.etcd.if(key(ip), "Value", "==", this.nodeName).then(this.etcd.delete().key(key(ip))).commit().catch(() => undefined);
    void this.claimFree();
  }

  private async claimFree(): Promise<void> {
    for (const ip of this.wanted) if (!this.holders.has(ip)) await this.claim(ip);
  }

  /** Create-if-absent: exactly one node wins an address. */
  private async claim(ip: string): Promise<void> {
    if (this.closed || !this.lease) return;
    try {
      await this.etcd.if(key(ip), "Create", "==", 0).then(this.etcd.put(key(ip)).value(this.nodeName).lease(this.leaseId)).commit();
    } catch (e) {
      console.error(`pontond: cluster: claim the L2 announcement of ${ip}: ${(e as Error).message}`);
    }
  }

  /** Revoking the lease hands every address over at once (a clean stop, unlike a crash). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.watcher?.cancel().catch(() => undefined);
    await this.lease?.revoke().catch(() => undefined);
  }
}
