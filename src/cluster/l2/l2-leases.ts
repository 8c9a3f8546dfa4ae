// One L2 announcer per address in a cluster: /ponton/l2/ADDR names the node that answers ARP/NDP
// for ADDR, attached to that node's own etcd lease (one lease per node). A node that wants an
// address claims the key when it is free (create-if-absent). Failover does not wait for the lease:
// every node puts its heartbeat key (/ponton-l2beat/NODE, outside /ponton/ so the cluster loop does
// not re-sync on each beat) every `renewMs`; a node that wants an address whose holder's heartbeat
// has not changed for `durationS` takes it over in a transaction comparing mod revisions
// (l2-takeover.ts), answers, and sends gratuitous ARP / unsolicited NA. The holder itself stops
// answering once its own last accepted beat is that old (cut off from etcd, it yields). The lease
// still removes a dead node's keys (etcd raises its TTL to its minimum, 2 s with its default timers,
// and expires it on the leader's 500 ms sweep: 2.5 s, which failover no longer waits for).
// Cilium keeps a Kubernetes Lease per service (15 s, renewed every 5 s); the defaults here are 1 s / 250 ms.
import { performance } from "node:perf_hooks";
import type { Etcd3, IKeyValue, Lease, Watcher } from "etcd3";
import { EngineError } from "../../errors";
import { ROOT } from "../keys";
import { fenced, staleTakeovers, type BeatSeen, type Takeover } from "./l2-takeover";

export const L2_LEASES = `${ROOT}l2/`;
export const L2_BEATS = "/ponton-l2beat/";
const key = (ip: string) => `${L2_LEASES}${ip}`;
const beatKey = (node: string) => `${L2_BEATS}${node}`;

export interface L2LeaseOptions {
  /** How long a holder's heartbeat may stand still before a standby takes over; also the lease's TTL. */
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

const now = () => performance.now();

export class L2Leases {
  private lease: Lease | undefined;
  private leaseId = "";
  private timer: NodeJS.Timeout | undefined;
  private watchers: Watcher[] = [];
  /** Address → node holding it and the key's mod revision, as etcd says. */
  private readonly holders = new Map<string, { node: string; rev: string }>();
  /** Node → its heartbeat key as last seen. */
  private readonly beats = new Map<string, BeatSeen>();
  private wanted = new Set<string>();
  private readonly taking = new Set<string>();
  /** When the last beat etcd accepted was sent; a holder whose beat is this old yields. */
  private lastBeat = now();
  private beating = false;
  private isFenced = false;
  private closed = false;
  private readonly staleMs: number;

  constructor(
    private readonly etcd: Etcd3,
    private readonly nodeName: string,
    private readonly opts: L2LeaseOptions,
    /** Called when what this node holds changed (the engine re-plans its answers). */
    private readonly onChange: () => void,
  ) {
    this.staleMs = opts.durationS * 1000;
  }

  async start(): Promise<void> {
    await this.newLease();
    await this.beat();
    const addresses = await this.etcd.watch().prefix(L2_LEASES).create();
    addresses.on("put", (kv) => this.seen(kv, kv.value.toString()));
    addresses.on("delete", (kv) => this.seen(kv, undefined));
    addresses.on("connected", () => void this.reload());
    const beats = await this.etcd.watch().prefix(L2_BEATS).create();
    beats.on("put", (kv) => this.beats.set(kv.key.toString().slice(L2_BEATS.length), { rev: kv.mod_revision, at: now() }));
    beats.on("delete", (kv) => this.beatGone(kv.key.toString().slice(L2_BEATS.length)));
    beats.on("connected", () => void this.reload());
    this.watchers = [addresses, beats];
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
      void this.beat();
      // Also while a beat hangs (etcd unreachable, packets dropped): the fence must not wait for it.
      this.check();
    }, this.opts.renewMs);
    this.timer.unref();
  }

  /**
   * Put the heartbeat (a new mod revision is what standbys watch), then look for stale holders. A node
   * that neither holds nor wants an address has no one to tell: it does not beat (every beat is one
   * etcd write and a watch message to every node — N² messages a second at rest otherwise).
   */
  private async beat(): Promise<void> {
    if (this.beating || this.closed || !this.lease) return;
    if (this.wanted.size === 0 && this.mine() === "") {
      this.lastBeat = now();
      return this.check();
    }
    this.beating = true;
    const sent = now();
    try {
      await this.etcd.put(beatKey(this.nodeName)).value(String(Date.now())).lease(this.leaseId);
      this.lastBeat = sent;
    } catch {
      // etcd away: the fence below ends our answers once the beat is stale.
    } finally {
      this.beating = false;
    }
    this.check();
  }

  private check(): void {
    if (this.closed) return;
    const t = now();
    const f = fenced(this.lastBeat, t, this.staleMs);
    if (f !== this.isFenced) {
      this.isFenced = f;
      if (f) console.error(`pontond: cluster: no heartbeat accepted by etcd for ${this.opts.durationS} s: this node stops answering ARP/NDP for the addresses it held`);
      this.onChange();
    }
    if (!f) for (const t0 of staleTakeovers(this.nodeName, this.wanted, this.holders, this.beats, t, this.staleMs)) void this.takeOver(t0);
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
    const [addresses, beats] = await Promise.all([this.etcd.getAll().prefix(L2_LEASES).exec(), this.etcd.getAll().prefix(L2_BEATS).exec()]);
    const before = this.mine();
    const t = now();
    this.holders.clear();
    for (const kv of addresses.kvs) this.holders.set(kv.key.toString().slice(L2_LEASES.length), { node: kv.value.toString(), rev: kv.mod_revision });
    // A fresh look starts every node's stale interval again; a holder with no heartbeat key gets one interval.
    this.beats.clear();
    for (const kv of beats.kvs) this.beats.set(kv.key.toString().slice(L2_BEATS.length), { rev: kv.mod_revision, at: t });
    for (const { node } of this.holders.values()) if (!this.beats.has(node)) this.beats.set(node, { rev: "0", at: t });
    await this.claimFree();
    if (this.mine() !== before) this.onChange();
  }

  private seen(kv: IKeyValue, node: string | undefined): void {
    const ip = kv.key.toString().slice(L2_LEASES.length);
    const before = this.mine();
    if (node === undefined) this.holders.delete(ip);
    else {
      // A new holder gets one whole interval to beat (it may not have beaten while it held nothing).
      const was = this.holders.get(ip)?.node;
      this.holders.set(ip, { node, rev: kv.mod_revision });
      if (!this.beats.has(node) || was !== node) this.beats.set(node, { rev: this.beats.get(node)?.rev ?? "0", at: now() });
    }
    if (node === undefined && this.wanted.has(ip)) void this.claim(ip);
    if (this.mine() !== before) this.onChange();
  }

  /** The heartbeat key went with its node's lease: its addresses are free now (their keys went too). */
  private beatGone(node: string): void {
    this.beats.set(node, { rev: "0", at: -Infinity });
    this.check();
  }

  private mine(): string {
    return [...this.holders].filter(([, h]) => h.node === this.nodeName).map(([ip]) => ip).sort().join(",");
  }

  holds = (ip: string): boolean => !this.isFenced && this.holders.get(ip)?.node === this.nodeName;

  /** Who announces each address, as etcd says. */
  holdersView(): Record<string, string> {
    return Object.fromEntries([...this.holders].map(([ip, h]) => [ip, h.node] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
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

  /** Only if neither the address key nor the holder's heartbeat changed since we judged it stale. */
  private async takeOver(t: Takeover): Promise<void> {
    if (this.closed || !this.lease || this.taking.has(t.ip)) return;
    this.taking.add(t.ip);
    try {
      const r = await this.etcd.if(key(t.ip), "Mod", "==", t.addressRev).and(beatKey(t.holder), "Mod", "==", t.beatRev).then(this.etcd.put(key(t.ip)).value(this.nodeName).lease(this.leaseId)).commit();
      if (r.succeeded) console.error(`pontond: cluster: took the L2 announcement of ${t.ip} over from ${t.holder} (no heartbeat for ${this.opts.durationS} s)`);
    } catch (e) {
      console.error(`pontond: cluster: take the L2 announcement of ${t.ip} over: ${(e as Error).message}`);
    } finally {
      this.taking.delete(t.ip);
    }
  }

  /** Revoking the lease hands every address over at once (a clean stop, unlike a crash). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    for (const w of this.watchers) await w.cancel().catch(() => undefined);
    await this.lease?.revoke().catch(() => undefined);
  }
}
