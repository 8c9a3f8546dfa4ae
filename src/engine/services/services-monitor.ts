// What the daemon observes about services and feeds back into the (pure) compile: endpoint health
// and, for lc/wlc, live connection counts from conntrack. It also removes the conntrack entries of
// endpoints that left a service, right after the commit that stopped sending them new flows.
import type { NftPlan, ServicePortEndpoints } from "../../compile";
import { indexEndpoints, selected } from "../../compile/services/endpoints";
import { splitAddrPort } from "../../compile/services/family";
import { fragmentDelta } from "../../compile/services/fragment-delta";
import { serviceExternalIps, serviceVips, targetPortOn, type ServiceRuntime } from "../../model/services/service";
import { connectionsByEndpoint, countFlowsFrom, deleteFlows } from "./conntrack";
import type { EngineContext } from "../context";
import { HealthState, probe } from "./health";

/** How often lc/wlc counts are read (their reaction time) and health checks are considered. */
export const MONITOR_TICK_MS = Number(process.env.PONTON_SERVICE_TICK_MS ?? 500);

export class ServiceMonitor {
  private unhealthy = new Set<string>();
  private connections = new Map<string, Map<string, number>>();
  private readonly health = new Map<string, { state: HealthState; due: number }>();
  /** Conntrack entries removed per service id (`ponton service inspect` shows it). */
  readonly cleared = new Map<string, number>();
  private cleanup: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly resync: () => Promise<void>,
  ) {
    ctx.nft.onCommit = (from, to) => this.onCommit(from, to);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), MONITOR_TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  isHealthy(serviceId: string, workloadId: string): boolean {
    return !this.unhealthy.has(`${serviceId}/${workloadId}`);
  }

  connectionsOf(serviceId: string): ReadonlyMap<string, number> | undefined {
    return this.connections.get(serviceId);
  }

  /** Wait for the conntrack removals already started (tests and inspect read the metric after). */
  settled(): Promise<void> {
    return this.cleanup;
  }

  private runtime(): ServiceRuntime {
    return { unhealthy: new Set(this.unhealthy), connections: new Map(this.connections) };
  }

  private onCommit(from: NftPlan | undefined, to: NftPlan): void {
    // Only fragments that changed identity can have lost endpoints: O(changes), not O(services).
    const { gone, added } = fragmentDelta(from?.services ?? [], to.services ?? []);
    if (gone.length === 0) return;
    const next = new Map(added.flatMap((f) => f.endpoints).map((s) => [s.chain, s]));
    const left: { port: ServicePortEndpoints; ep: string }[] = [];
    for (const prev of gone.flatMap((f) => f.endpoints)) {
      const now = new Set(next.get(prev.chain)?.endpoints ?? []);
      for (const ep of prev.endpoints) if (!now.has(ep)) left.push({ port: prev, ep });
    }
    if (left.length) this.cleanup = this.cleanup.then(() => this.clearFlows(left)).catch(() => undefined);
  }

  /**
   * ep: "ip:targetPort" or "[ip6]:targetPort" as the compile lists it (the chain is of one family).
   * An endpoint that left many services at once (a label flip) is one conntrack listing when it has
   * no flows, not one process per service and destination.
   */
  private async clearFlows(left: { port: ServicePortEndpoints; ep: string }[]): Promise<void> {
    const byEndpoint = new Map<string, { protocol: string; ip: string; port: number; ports: ServicePortEndpoints[] }>();
    for (const { port: p, ep } of left) {
      const key = `${p.protocol} ${ep}`;
      const e = byEndpoint.get(key) ?? { protocol: p.protocol, ...splitAddrPort(ep), ports: [] };
      e.ports.push(p);
      byEndpoint.set(key, e);
    }
    for (const { protocol, ip, port, ports } of byEndpoint.values()) {
      if ((await countFlowsFrom(this.ctx.exec, protocol, ip, port).catch(() => 1)) === 0) continue;
      const base = { protocol, replySrc: ip, replyPortSrc: port };
      for (const p of ports) {
        const filters = [...p.dsts.map((d) => ({ ...base, origDst: d, origPortDst: p.port })), ...(p.hostPort !== undefined ? [{ ...base, origPortDst: p.hostPort }] : [])];
        for (const f of filters) {
          const n = await deleteFlows(this.ctx.exec, f).catch(() => 0);
          this.cleared.set(p.serviceId, (this.cleared.get(p.serviceId) ?? 0) + n);
        }
      }
    }
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const [h, c] = await Promise.all([this.checkHealth(), this.countConnections()]);
      if (h || c) {
        this.ctx.nft.runtime = this.runtime();
        await this.resync();
      }
    } catch {
      // A failed observation is retried next tick; the data plane keeps its last state.
    } finally {
      this.busy = false;
    }
  }

  private async checkHealth(): Promise<boolean> {
    // Every tick: read the whole state (all workloads and policies, parsed) only when something is checked.
    const services = [...this.ctx.store.serviceLookups().withHealth()];
    if (services.length === 0 && this.health.size === 0) return false;
    const index = indexEndpoints(this.ctx.store.state());
    const seen = new Set<string>();
    const nowMs = Date.now();
    const probes: Promise<boolean>[] = [];
    for (const s of services) {
      const check = s.health!;
      const checked = s.ports.find((p) => p.protocol === "tcp") ?? s.ports[0];
      // Probe over the family of the service's primary VIP (IPv4 when it has none, as headless).
      const v6 = serviceVips(s)[0]?.includes(":") ?? false;
      for (const c of selected(s, index)) {
        // A named target port is resolved on each endpoint; without ports, a tcp check has nothing to try.
        const port = checked && targetPortOn(checked, c.exposes);
        if (!port) continue;
        const key = `${s.id}/${c.workloadId}`;
        seen.add(key);
        let entry = this.health.get(key);
        if (!entry) this.health.set(key, (entry = { state: new HealthState(), due: 0 }));
        if (entry.due > nowMs) continue;
        entry.due = nowMs + check.intervalMs;
        const e = entry;
        const ip = v6 ? (c.ip6 ?? c.ip) : (c.ip ?? c.ip6);
        if (!ip) continue;
        probes.push(probe(check, ip, port).then((ok) => e.state.record(ok, check)));
      }
    }
    let changed = (await Promise.all(probes)).some(Boolean);
    for (const key of [...this.health.keys()]) if (!seen.has(key)) this.health.delete(key);
    const unhealthy = new Set([...this.health].filter(([, v]) => !v.state.healthy).map(([k]) => k));
    if (unhealthy.size !== this.unhealthy.size || [...unhealthy].some((k) => !this.unhealthy.has(k))) changed = true;
    this.unhealthy = unhealthy;
    return changed;
  }

  private async countConnections(): Promise<boolean> {
    const services = [...this.ctx.store.serviceLookups().countingConnections()];
    const next = new Map<string, Map<string, number>>();
    for (const s of services) {
      const counts = new Map<string, number>();
      for (const proto of new Set(s.ports.map((p) => p.protocol))) {
        for (const dst of [...serviceVips(s), ...serviceExternalIps(s)]) await connectionsByEndpoint(this.ctx.exec, proto, dst, counts);
      }
      next.set(s.id, counts);
    }
    const key = (m: Map<string, Map<string, number>>) => JSON.stringify([...m].map(([k, v]) => [k, [...v].sort()]));
    const changed = key(next) !== key(this.connections);
    this.connections = next;
    return changed;
  }
}
