// The daemon's embedded DNS, fed from the desired state after every change (names appear at once).
import { DnsServer, FastpathUnavailableError, readUpstreams, type DnsRecord, type ExplainResult } from "../dns";
import { EngineError } from "../errors";
import type { DesiredState } from "../model/types";
import { CLUSTER_DOMAIN, dnsListenAddresses, dnsViews, viewIndex } from "./dns-records";

export interface DnsConfig {
  domain: string;
  port: number;
  hostResolvConf: string;
}

/** Same records, in the same order (services' records are the same objects between syncs). */
function sameRecords(a: readonly DnsRecord[], b: readonly DnsRecord[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (x.name !== y.name || x.type !== y.type || x.ttl !== y.ttl || JSON.stringify(x.data) !== JSON.stringify(y.data)) return false;
  }
  return true;
}

export class EngineDns {
  private readonly server: DnsServer;
  private index = new Map<string, string>();
  /** What each view was last given: an unchanged view is not rebuilt (10,000 services = 30,000 records per view). */
  private readonly sent = new Map<string, DnsRecord[]>();
  /** Listen failures (e.g. the port is taken on that address), for `ponton info`. */
  readonly errors = new Map<string, string>();

  constructor(private readonly config: DnsConfig) {
    try {
      this.server = new DnsServer({ viewOf: (ip) => this.index.get(ip), searchDomain: config.domain, localZones: [CLUSTER_DOMAIN] });
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
    // The fast path binds clients to views and forgets the bindings on setView: an address that moved
    // or went away must come with one, so it rebuilds every view (a new address has no binding yet).
    const moved = [...this.index].some(([ip, view]) => index.get(ip) !== view);
    this.index = index;
    const views = dnsViews(state, this.config.domain, unhealthy);
    for (const [id, records] of views) {
      const before = this.sent.get(id);
      if (!moved && before && sameRecords(before, records)) continue;
      this.server.setView(id, records);
      this.sent.set(id, records);
    }
    for (const id of this.server.viewIds()) {
      if (views.has(id)) continue;
      this.server.deleteView(id);
      this.sent.delete(id);
    }

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
