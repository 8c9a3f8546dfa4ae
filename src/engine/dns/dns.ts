// The daemon's embedded DNS, fed from the desired state after every change (names appear at once).
import { DnsServer, FastpathUnavailableError, readUpstreams, SYSTEMD_RESOLV_CONF, type DnsPolicyHook, type ExplainResult, type UpstreamAddress } from "../../dns";
import { EngineError } from "../../errors";
import type { DesiredState } from "../../model/types";
import { CLUSTER_DOMAIN, sharedGroups, viewSearch, viewUpstreams } from "./dns-records";
import { PodGroupIndex } from "./dns-pod-groups";
import { type DnsListenerPlan, dnsListenerPlans, samePlan } from "./dns-listeners";
import { SentViews, type ViewChanges } from "./dns-sent-views";
import { DnsOwnIndex } from "./dns-own-index";
import { findPortHolder } from "./port-holder";
import { ResolvWatch } from "./resolv-watch";

export interface DnsConfig {
  domain: string;
  port: number;
  hostResolvConf: string;
}

/** Told at once to whoever created the network, not only in `ponton info`. */
export interface DnsWarning {
  code: "DNS_PORT_IN_USE" | "DNS_LISTEN_FAILED";
  message: string;
}

export class EngineDns {
  private readonly server: DnsServer;
  /** Views forwarding to their networks' own servers. */
  private upstreams = new Map<string, UpstreamAddress[]>();
  /** What each view was given: a change sends only the names it touched, an unchanged view nothing. */
  private readonly sent = new SentViews<object>();
  /** The pod record groups, kept per change. */
  private pods = new PodGroupIndex();
  /** Each view's workload records and the client index, updated by what a change wrote. */
  private own = new DnsOwnIndex();
  /** The plan each open listener was opened with. */
  private readonly plans = new Map<string, DnsListenerPlan>();
  /** Listen failures (e.g. the port is taken on that address), for `ponton info` and the create response. */
  readonly errors = new Map<string, DnsWarning>();
  private watch?: ResolvWatch;

  /** `policy`: CiliumNetworkPolicy rules.dns and toFQDNs (engine/policy/fqdn.ts). */
  constructor(private readonly config: DnsConfig, policy?: DnsPolicyHook) {
    try {
      this.server = new DnsServer({ viewOf: (ip) => this.own.index.get(ip), searchDomain: config.domain, viewSearch, viewUpstreams: (view) => this.upstreams.get(view), localZones: [CLUSTER_DOMAIN], ...(policy ? { policy } : {}) });
    } catch (err) {
      // The daemon does not start without its DNS fast path rather than run slower unnoticed.
      if (err instanceof FastpathUnavailableError) throw new EngineError("BUILD_INCOMPLETE", err.message);
      throw err;
    }
  }

  get domain(): string {
    return this.config.domain;
  }

  /** Reads the host's upstreams and follows later changes to them. */
  async start(): Promise<void> {
    await this.reloadUpstreams();
    this.watch = new ResolvWatch([this.config.hostResolvConf, SYSTEMD_RESOLV_CONF], () => void this.reloadUpstreams().catch(() => undefined));
    this.watch.start();
  }

  private async reloadUpstreams(): Promise<void> {
    this.server.setUpstreams(await readUpstreams(this.config.hostResolvConf));
  }

  /** Views, then listeners: gateways come and go with networks. */
  /** unhealthy: endpoints failing health checks ("serviceId/workloadId"), left out of headless answers. */
  /** `state`: what is served (NftSync.served: built-in services and other nodes' workloads in). */
  /** What the last sync served: the store's shared workload and attachment lists, the rest as text. */
  private served: { workloads: object; attachments: object; services: DesiredState["services"]; rest: string } | undefined;

  async sync(state: DesiredState, unhealthy?: ReadonlySet<string>): Promise<void> {
    // DNS reads no policy: a policy change (or any change that left these alone) has nothing to send.
    // The store hands out the same workload and attachment arrays until one is written. A listener
    // that failed to bind is retried on every change, so then nothing is skipped.
    // Services by identity (the store's frozen records; the built-in one is made again each time).
    const rest = JSON.stringify([state.networks, state.namespaces, [...(unhealthy ?? [])]]);
    const s = this.served;
    if (s && s.workloads === state.workloads && s.attachments === state.attachments && sameServices(s.services, state.services) && s.rest === rest && this.errors.size === 0) return;
    this.served = undefined;
    await this.syncServed(state, unhealthy);
    this.served = { workloads: state.workloads, attachments: state.attachments, services: state.services, rest };
  }

  private async syncServed(state: DesiredState, unhealthy?: ReadonlySet<string>): Promise<void> {
    // The fast path binds clients to views: an address whose view changed (new ones included: it
    // may have asked before it was known) is bound again on its next query.
    const step = this.own.update(state, this.config.domain);
    const views = new Set(this.own.views());
    let changes: ViewChanges;
    try {
      this.upstreams = viewUpstreams(state, views);
      this.server.viewUpstreamsChanged(this.upstreams.keys());
      const shared = sharedGroups(state, unhealthy, this.pods.update(state), this.pods.delta);
      changes = step.rebuilt ? this.sent.next(new Map([...views].map((v) => [v, this.own.viewRecords(v)])), shared) : this.sent.nextTouched(this.own, step.touched, shared);
    } catch (e) {
      // The names this step touched were not compared: build the index again and compare every view next time.
      this.own = new DnsOwnIndex();
      this.pods = new PodGroupIndex();
      throw e;
    }
    let failed: unknown;
    const apply = (id: string, send: () => void) => {
      try {
        send();
      } catch (e) {
        // An invalid record leaves the view as it was: send it whole (and fail again) next time.
        this.sent.forget(id);
        failed ??= e;
      }
    };
    for (const [id, records] of changes.created) apply(id, () => this.server.setView(id, records));
    for (const [id, names] of changes.updated) apply(id, () => this.server.updateNames(id, names));
    for (const id of this.server.viewIds()) if (!views.has(id)) this.server.deleteView(id);
    this.server.clientsMoved([...step.moved]);
    await this.syncListeners(dnsListenerPlans(state));
    if (failed) throw failed;
  }

  private async syncListeners(plans: DnsListenerPlan[]): Promise<void> {
    const want = new Map(plans.map((p) => [p.address, p]));
    for (const [address, had] of this.plans) {
      const now = want.get(address);
      if (now && samePlan(had, now)) continue;
      await this.server.removeListener({ address });
      this.plans.delete(address);
    }
    for (const address of this.errors.keys()) if (!want.has(address)) this.errors.delete(address);
    for (const plan of plans) {
      if (this.plans.has(plan.address)) continue;
      try {
        await this.server.addListener({ address: plan.address, port: this.config.port }, { clients: plan.clients, sealed: plan.sealed });
        this.plans.set(plan.address, plan);
        this.errors.delete(plan.address);
      } catch (e) {
        // Retried on every change; the /proc scan for the holder only when the failure is new.
        if (!this.errors.has(plan.address)) this.errors.set(plan.address, await this.describe(plan.address, e as NodeJS.ErrnoException));
      }
    }
  }

  private async describe(address: string, err: NodeJS.ErrnoException): Promise<DnsWarning> {
    const port = this.config.port;
    if (err.code !== "EADDRINUSE") return { code: "DNS_LISTEN_FAILED", message: `dns on ${address}:${port}: ${err.message}` };
    const holder = await findPortHolder(address, port).catch(() => undefined);
    const by = holder ? ` by ${holder.command} (pid ${holder.pid})` : "";
    return {
      code: "DNS_PORT_IN_USE",
      message: `dns on ${address}:${port}: port ${port} is taken${by}; workloads on this network get no name service there until it is freed (pontond retries on the next change)`,
    };
  }

  /** Problems of the listeners on these addresses (a network's gateways). */
  warningsFor(addresses: readonly (string | undefined)[]): DnsWarning[] {
    return addresses.flatMap((a) => (a && this.errors.has(a) ? [this.errors.get(a)!] : []));
  }

  /** A DNS policy now watches these clients: the native fast path must hand their queries to JS. */
  policyWatches(addresses: readonly string[]): void {
    if (addresses.length) this.server.clientsMoved(addresses);
  }

  /** As the listener the address can ask answers: a view may span networks, sealing goes by the address's own. */
  explain(name: string, type: string, clientAddress: string): ExplainResult {
    // Client addresses on --internal networks ask a sealed listener.
    return this.server.explain(name, type, clientAddress, this.own.sealed.has(clientAddress));
  }

  info() {
    return {
      domain: this.config.domain,
      port: this.config.port,
      listening: this.server.addresses(),
      upstreams: this.server.effectiveUpstreams(),
      counters: this.server.counters(),
      errors: Object.fromEntries([...this.errors].map(([a, w]) => [a, w.message])),
    };
  }

  close(): Promise<void> {
    this.watch?.close();
    return this.server.close();
  }
}

/** The same services: the same records, or equal text where a record was made again. */
function sameServices(a: DesiredState["services"], b: DesiredState["services"]): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && JSON.stringify(a[i]) !== JSON.stringify(b[i])) return false;
  return true;
}
