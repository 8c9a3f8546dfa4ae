// The engine's side of the L7 proxy (HAProxy, src/l7): its listeners follow the committed policy
// plan, loaded BEFORE the kernel redirects to them; its request log arrives on a unix socket here
// (HAProxy's log ring connects to it, and keeps what it logs while no pontond listens), read in
// batches (l7-log-socket.ts), and joins the flow ring (kept as lines until read, l7-lines.ts) and the metrics.
import { mkdirSync, unlinkSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { HaproxyProcess } from "../../l7/haproxy-process";
import { sectionName } from "../../l7/haproxy-config";
import type { L7Listener } from "../../policy";
import { counter, labelledSamples, type Metric } from "../../flows";
import type { NftPlan } from "../../compile";
import type { EngineFlows } from "../flows/flows";
import { logDir } from "../config";
import type { EngineContext } from "../context";
import type { Network } from "../../model/types";
import { applyReturnPath, l7Topology } from "./l7-return-path";
import { listenLogSocket } from "./l7-log-socket";
import { L7LineBuilder, type L7Counts } from "./l7-lines";

/** How often pontond looks whether HAProxy still runs. */
const WATCH_MS = 500;

/** What the host's addresses are read for: the listeners' sockets and the networks' own addresses. */
export function hostAddressesKey(listeners: readonly L7Listener[], networks: readonly Network[]): string {
  const sockets = listeners.map((l) => `${l.direction} ${l.ip} ${l.port} ${l.listen}`).sort();
  const nets = networks.map((n) => `${n.id} ${n.driver} ${n.gateway4 ?? ""} ${n.gateway6 ?? ""}`).sort();
  return JSON.stringify([sockets, nets]);
}

export class EngineL7 {
  readonly haproxy: HaproxyProcess;
  /** Requests by method, status and verdict; gaps in a worker's request counter: lines that never arrived (an upper bound, see metrics()). */
  private readonly counts: L7Counts = { requests: {}, lost: 0, lastCounter: new Map() };
  /** Why the last apply failed (the redirect then leads nowhere: connections are refused, never let through). */
  lastErrors: string[] = [];
  /** Times HAProxy was found gone and started again. */
  restarts = 0;
  private listeners: L7Listener[] = [];
  private bySection = new Map<string, L7Listener>();
  private server: Promise<net.Server> | undefined;
  private watch: NodeJS.Timeout | undefined;
  private running = false;
  private restarting = false;
  private closed = false;
  /** The return path's nft text last applied (undefined: not yet since start: applied again). */
  private returnPath: string | undefined;
  /** The host's addresses as last read, and what they were read for (hostAddressesKey). */
  private host: { key: string; addrs: string[] } | undefined;

  constructor(private readonly ctx: EngineContext, private readonly flows: EngineFlows) {
    this.haproxy = new HaproxyProcess(path.join(ctx.config.stateDir, "l7"), path.join(logDir(ctx.config), "haproxy.log"));
  }

  /** Before a commit: HAProxy serves the plan's listeners. */
  async beforeCommit(plan: NftPlan): Promise<void> {
    this.listeners = plan.policy.l7;
    this.bySection = new Map(this.listeners.map((l) => [sectionName(l), l]));
    await this.apply();
  }

  /** HAProxy's own answer ("started", "reloaded"…), or undefined when it failed (lastErrors says why). */
  private async apply(): Promise<string | undefined> {
    try {
      if (this.listeners.length > 0) await this.listen();
      // Backends on a bridge or a routed network see the client's address: their answers' way back first, then HAProxy.
      // Egress clients there reach destinations on this host's networks from their own address.
      const { transparent, clients, subnets } = l7Topology(this.ctx, this.listeners);
      this.returnPath = await applyReturnPath(this.ctx, this.listeners.length > 0, [...transparent.values()], [...clients.values()], this.returnPath);
      const key = (l: L7Listener) => `${l.ip}:${l.port}`;
      // No listener, no HAProxy: the addresses are not read (a dump of every link, whose cost in the
      // kernel grows with the square of the veths whose far end is in another namespace; issue 20).
      if (this.listeners.length === 0) this.host = undefined;
      const host = this.listeners.length > 0 ? await this.hostAddresses() : [];
      const done = await this.haproxy.apply(this.listeners, (l) => (l.direction === "egress" ? clients : transparent).has(key(l)), host, subnets);
      this.running = this.listeners.length > 0;
      this.lastErrors = [];
      return done;
    } catch (e) {
      this.lastErrors = [(e as Error).message];
      console.error(`pontond: L7 proxy: ${this.lastErrors.join("; ")}`);
      return undefined;
    }
  }

  /**
   * This host's addresses: its own connections to a guarded port come from one. Read again only
   * when what they depend on changed: the listeners (a policy change) or the networks (their
   * gateways are host addresses), never for a workload made or removed. An address added by hand
   * later is not one until then: its requests get the peers' rules, never more.
   */
  private async hostAddresses(): Promise<string[]> {
    const key = hostAddressesKey(this.listeners, this.ctx.store.networks());
    if (this.host?.key === key) return this.host.addrs;
    const links = JSON.parse((await this.ctx.exec.run("ip", ["-j", "addr", "show"])).stdout) as { addr_info?: { local?: string }[] }[];
    const all = links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local ?? "")).filter((a) => a !== "" && !a.startsWith("fe80:"));
    this.host = { key, addrs: [...new Set(all)].sort() };
    return this.host.addrs;
  }

  /** Start-up: HAProxy that outlived the last pontond delivers its log (and what it kept) here. */
  async reattach(): Promise<void> {
    if (this.haproxy.masterPid() !== undefined) await this.listen();
    this.watch ??= setInterval(() => this.check(), WATCH_MS);
    this.watch.unref();
  }

  /** Supervision: HAProxy gone while it has listeners is started again with them. */
  private check(): void {
    if (this.closed || this.restarting || !this.running || this.listeners.length === 0 || this.haproxy.masterPid() !== undefined) return;
    // One restart at a time; a start that failed (slow to come up) is tried again at the next check.
    this.restarting = true;
    console.error("pontond: HAProxy (the L7 proxy) went away; starting it again");
    void this.apply()
      .then((done) => {
        if (done === "started") this.restarts++;
      })
      .finally(() => (this.restarting = false));
  }

  private async listen(): Promise<void> {
    if (this.server) return void (await this.server);
    mkdirSync(this.haproxy.dir, { recursive: true, mode: 0o700 });
    try {
      unlinkSync(this.haproxy.paths.log);
    } catch {
      // none left
    }
    this.server = listenLogSocket(this.haproxy.paths.log, (lines) => this.onLines(lines));
    await this.server.catch((e: unknown) => {
      this.server = undefined;
      throw e;
    });
  }

  private onLines(lines: string[]): void {
    new L7LineBuilder(this.flows.collector.currentDirectory(), this.bySection).push(lines, this.flows.collector.ring, this.counts);
  }

  metrics(): Metric[] {
    return [
      counter("ponton_l7_requests_total", "HTTP requests through the L7 proxy, by method, status and verdict.", labelledSamples(this.counts.requests, ["method", "status", "verdict"])),
      counter("ponton_l7_records_lost_total", "Request log lines HAProxy numbered but pontond never received (gaps in a worker's request counter; its own log and reload sessions take numbers too, so an upper bound).", [{ value: this.counts.lost }]),
      counter("ponton_l7_proxy_restarts_total", "Times pontond found HAProxy gone and started it again.", [{ value: this.restarts }]),
    ];
  }

  close(): void {
    this.closed = true;
    if (this.watch) clearInterval(this.watch);
    // HAProxy stays: its connections outlive this pontond, the next one takes its log again.
    void this.server?.then((s) => s.close());
  }
}
