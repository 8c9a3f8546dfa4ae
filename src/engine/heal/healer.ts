// Repairs damage to what pontond owns as the kernel reports it (bin/ponton-watch), without polling:
// a foreign nf_tables commit on our table → the table is replaced whole; a deleted or loosened link,
// a deleted bridge address, a deleted namespace → repairLinks. Events are gathered for a short
// debounce, then judged and repaired inside the engine's serial queue, after any change under way.
import type { DesiredState } from "../../model/types";
import type { EngineContext } from "../context";
import type { KernelEvent } from "../../kernel/kernel-events";
import { KernelWatch } from "../../kernel/kernel-watch";
import { NFT_FAMILY, NFT_TABLE } from "../../compile/names";
import { damagedObjects, type RouteEvent, type Wanted } from "./damage";
import { repairScope } from "./repair-scope";
import { HostWantedIndex } from "./host-wanted-index";
import { dropVanishedNetnsWorkloads, KEPT_STATES, repairLinks } from "./repair-links";
import { insideDamage, namedNetns, type InsideEvent } from "./inside-damage";
import { InsideWantedIndex } from "./inside-wanted-index";
import { repairInside } from "./repair-inside";

/** Long enough to take a whole `nft -f` or `ip -batch` of damage as one, short against the 1 s goal. */
const DEBOUNCE_MS = 20;
/** A repair that failed is tried again this many times (1 s, 2 s, 4 s later), then left to the next event. */
const MAX_RETRIES = 3;

export interface HealCounters {
  /** nf_tables commits on our table by another process, and the table replacements they caused. */
  foreignNftCommits: number;
  nftRepairs: number;
  /** Link/address/namespace repairs (one per object put back). */
  linkRepairs: number;
  /** Workloads marked broken (their namespace vanished, no `--restart always`). */
  broken: number;
  /** Times the kernel dropped events (ENOBUFS) or the watcher restarted: a full look was taken. */
  lostEvents: number;
  /** Dumps of every host link a repair pass read (O(links) in the kernel): only for lost events or a deleted namespace. */
  fullLinkDumps: number;
}

export class Healer {
  readonly counters: HealCounters = { foreignNftCommits: 0, nftRepairs: 0, linkRepairs: 0, broken: 0, lostEvents: 0, fullLinkDumps: 0 };
  private readonly watch: KernelWatch;
  private nftPids: number[] = [];
  private routeEvents: RouteEvent[] = [];
  private insideEvents: InsideEvent[] = [];
  /** Namespaces whose events were lost: looked at whole. */
  private insideLost = new Set<string>();
  private lost = { nft: false, route: false };
  private timer: NodeJS.Timeout | undefined;
  /** When the first event of the gathered batch came (a repair's time is counted from it). */
  private firstEventAt = 0;
  private readySeen = false;
  private failures = 0;

  constructor(
    private readonly ctx: EngineContext,
    /** Runs an operation in the engine's serial queue. */
    private readonly serial: <T>(op: () => Promise<T>) => Promise<T>,
    /** Told after each repair, with the time from the first event to the repair done (the engine re-syncs DNS, logs). */
    private readonly onRepair: (what: string[], ms: number) => void,
  ) {
    // Routed networks: their veths (pr-), and lo, where their gateways live.
    const prefixes = ["pbr-", "pv-", "pr-", "ponton0", "lo"];
    this.watch = new KernelWatch({ family: NFT_FAMILY, table: NFT_TABLE, netnsPrefix: `${ctx.config.prefix}-`, ifPrefixes: prefixes }, (e) => this.onEvent(e));
  }

  start(): Promise<void> {
    return this.watch.start();
  }

  /**
   * Watch inside the namespaces of the workloads kept now (after every change): the helper reads them
   * all through one socket, by the id each has in ours. Only the difference reaches the helper.
   */
  follow(state: DesiredState): void {
    const { added, removed } = this.inside.update(state);
    this.watch.watchNetns(added, removed);
  }

  /** The namespaces to watch and what must stay in them, updated by what each change wrote. */
  private readonly inside = new InsideWantedIndex((w) => KEPT_STATES.has(w.state));

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.watch.stop();
  }

  get watcherRestarts(): number {
    return this.watch.restarts;
  }

  private onEvent(e: KernelEvent): void {
    switch (e.kind) {
      case "nft":
        this.nftPids.push(e.pid);
        break;
      case "lost":
        if (e.what === "in") this.insideLost.add(e.ns);
        else this.lost[e.what] = true;
        break;
      case "inlink":
      case "inaddr":
        this.insideEvents.push(e);
        break;
      case "ready":
        // A restarted watcher missed whatever happened while it was down.
        if (this.readySeen) this.lost = { nft: true, route: true };
        this.readySeen = true;
        break;
      default:
        this.routeEvents.push(e);
    }
    if (!this.timer) {
      this.firstEventAt = performance.now();
      this.timer = setTimeout(() => void this.flush(), DEBOUNCE_MS);
    }
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const since = this.firstEventAt;
    let pids: number[] = [];
    let lost = { nft: false, route: false };
    try {
      // Taken once our turn in the queue comes: the change under way has ended, and the events of
      // its last steps that came meanwhile are judged with its first ones.
      await this.serial(() => {
        pids = this.nftPids;
        lost = this.lost;
        const events = this.routeEvents;
        const inside = { events: this.insideEvents, lost: this.insideLost };
        this.insideEvents = [];
        this.insideLost = new Set();
        this.nftPids = [];
        this.routeEvents = [];
        this.lost = { nft: false, route: false };
        const nothing = !pids.length && !events.length && !inside.events.length && !inside.lost.size && !lost.nft && !lost.route;
        return nothing ? Promise.resolve() : this.repair(pids, events, lost, since, inside);
      });
      this.failures = 0;
    } catch (e) {
      // No event may come again for this damage: look again by ourselves, a few times, further apart.
      this.failures++;
      const retry = this.failures <= MAX_RETRIES;
      console.error(`pontond: repair failed: ${(e as Error).message}${retry ? `; trying again in ${2 ** this.failures} s` : ""}`);
      if (retry) {
        setTimeout(() => {
          this.lost = { nft: this.lost.nft || lost.nft || pids.length > 0, route: true };
          this.timer ??= setTimeout(() => void this.flush(), 0);
        }, 1000 * 2 ** this.failures).unref();
      }
    }
  }

  /** The host-side wanted set, kept per change (host-wanted-index.ts). */
  private readonly hostWanted = new HostWantedIndex((w) => KEPT_STATES.has(w.state));
  private wanted(state: DesiredState): Wanted {
    return this.hostWanted.update(state);
  }

  private async repair(pids: number[], events: RouteEvent[], lost: { nft: boolean; route: boolean }, since: number, inside: { events: InsideEvent[]; lost: Set<string> } = { events: [], lost: new Set() }): Promise<void> {
    const done: string[] = [];
    // Our own commit's PID is known once it returned: judge after every commit of ours has.
    await this.ctx.kernel.own.settled();
    const foreign = pids.filter((p) => !this.ctx.kernel.own.isOwn(p));
    this.counters.foreignNftCommits += foreign.length;
    if (lost.nft || lost.route) this.counters.lostEvents++;

    const state = this.ctx.store.state();
    const damage = lost.route ? undefined : damagedObjects(events, this.wanted(state));
    if (!damage || damage.length) {
      // Events lost: everything is looked at. Otherwise only what the damage names, read link by
      // link: a step of our own change caught half-way (a veth made, not yet up) reads as fine.
      const scope = damage && repairScope(damage, state);
      const dropped = await dropVanishedNetnsWorkloads(this.ctx);
      for (const name of dropped) console.error(`pontond: workload ${name} removed: the namespace it was given vanished`);
      const r = await repairLinks(this.ctx, "heal", scope);
      this.counters.fullLinkDumps += r.fullLinkDumps;
      const fixed = [...r.bridgesRebuilt.map((n) => `bridge of ${n}`), ...r.bridgesFixed.map((n) => `bridge ${n}`), ...r.endpointsRebuilt.map((n) => `endpoints of ${n}`)];
      this.counters.linkRepairs += fixed.length;
      this.counters.broken += r.broken.length;
      for (const name of r.broken) console.error(`pontond: workload ${name} is broken: its network namespace vanished (\`ponton reconcile\` or \`ponton start ${name}\` rebuilds it)`);
      done.push(...fixed, ...r.broken.map((n) => `${n} marked broken`), ...dropped.map((n) => `${n} forgotten`));
      // A rebuilt bridge or namespace may change what the table holds (a broken workload leaves its services).
      if (r.broken.length || dropped.length) await this.ctx.nft.sync(this.ctx.store.state());
    }
    // Inside workload namespaces, judged after the host side (a rebuilt veth brings its inside end back).
    this.follow(this.ctx.store.state());
    const insideHurt = new Set([...insideDamage(inside.events, this.inside.wanted).keys(), ...inside.lost]);
    if (insideHurt.size) {
      const r = await repairInside(this.ctx, insideHurt, namedNetns);
      this.counters.linkRepairs += r.rebuilt.length;
      this.counters.broken += r.broken.length;
      for (const name of r.broken) console.error(`pontond: workload ${name} is broken: its interfaces could not be rebuilt`);
      done.push(...r.rebuilt.map((n) => `interfaces of ${n}`), ...r.broken.map((n) => `${n} marked broken`));
      if (r.broken.length) await this.ctx.nft.sync(this.ctx.store.state());
    }
    if (foreign.length || lost.nft) {
      await this.ctx.nft.full(this.ctx.store.state());
      this.counters.nftRepairs++;
      done.push(`table ${NFT_FAMILY} ${NFT_TABLE} (${foreign.length ? `changed by PID ${foreign.join(", ")}` : "events lost"})`);
    }
    if (done.length) {
      // A workload marked broken or forgotten is watched no more.
      this.follow(this.ctx.store.state());
      this.onRepair(done, performance.now() - since);
    }
  }
}
