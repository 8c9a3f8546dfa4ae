// The daemon's embedded DNS, fed from the desired state after every change (names appear at once).
import { DnsServer, FastpathUnavailableError, readUpstreams, type ExplainResult, type UpstreamAddress } from "../../dns";
import { EngineError } from "../../errors";
import type { DesiredState } from "../../model/types";
import { CLUSTER_DOMAIN, dnsListenAddresses, sharedGroups, viewIndex, viewSearch, viewUpstreams, workloadRecords, type PodGroups } from "./dns-records";
import { SentViews } from "./dns-sent-views";

export interface DnsConfig {
  domain: string;
  port: number;
  hostResolvConf: string;
}

export class EngineDns {
  private readonly server: DnsServer;
  private index = new Map<string, string>();
  /** Views forwarding to their networks' own servers. */
  private upstreams = new Map<string, UpstreamAddress[]>();
  /** What each view was given: a change sends only the names it touched, an unchanged view nothing. */
  private readonly sent = new SentViews<object>();
  private readonly pods: PodGroups = new Map();
  /** Listen failures (e.g. the port is taken on that address), for `ponton info`. */
  readonly errors = new Map<string, string>();

  constructor(private readonly config: DnsConfig) {
    try {
      this.server = new DnsServer({ viewOf: (ip) => this.index.get(ip), searchDomain: config.domain, viewSearch, viewUpstreams: (view) => this.upstreams.get(view), localZones: [CLUSTER_DOMAIN] });
    } catch (err) {
      // The daemon does not start without its DNS fast path rather than run slower unnoticed.
      if (err instanceof FastpathUnavailableError) throw new EngineError("BUILD_INCOMPLETE", err.message);
      throw err;
    }
  }

  get domain(): string {
    return this.config.domain;
  }

  async start(): Promise<void> {
    this.server.setUpstreams(await readUpstreams(this.config.hostResolvConf));
  }

  /** Views, then listeners: gateways come and go with networks. */
  /** unhealthy: endpoints failing health checks ("serviceId/workloadId"), left out of headless answers. */
  async sync(state: DesiredState, unhealthy?: ReadonlySet<string>): Promise<void> {
    const index = viewIndex(state);
    // The fast path binds clients to views: an address whose view changed (new ones included: it
    // may have asked before it was known) is bound again on its next query.
    const moved = [...this.index.keys()].filter((ip) => index.get(ip) !== this.index.get(ip));
    for (const ip of index.keys()) if (!this.index.has(ip)) moved.push(ip);
    this.index = index;
    this.upstreams = viewUpstreams(state);
    this.server.viewUpstreamsChanged(this.upstreams.keys());
    const own = workloadRecords(state, this.config.domain);
    const changes = this.sent.next(own, sharedGroups(state, unhealthy, this.pods));
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
    for (const id of this.server.viewIds()) if (!own.has(id)) this.server.deleteView(id);
    this.server.clientsMoved(moved);

    const want = new Set(dnsListenAddresses(state));
    const have = new Set(this.server.addresses().map((a) => a.address));
    for (const address of have) if (!want.has(address)) await this.server.removeListener({ address });
    for (const address of want) {
      if (have.has(address)) continue;
      try {
        await this.server.addListener({ address, port: this.config.port });
        this.errors.delete(address);
      } catch (e) {
        this.errors.set(address, (e as Error).message);
      }
    }
    if (failed) throw failed;
  }

  explain(name: string, type: string, clientAddress: string): ExplainResult {
    return this.server.explain(name, type, clientAddress);
  }

  info() {
    return { domain: this.config.domain, port: this.config.port, listening: this.server.addresses(), upstreams: this.server.effectiveUpstreams(), counters: this.server.counters(), errors: Object.fromEntries(this.errors) };
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
