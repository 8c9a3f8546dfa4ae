// The engine's side of the L7 proxy (src/l7): its listeners follow the committed policy plan, set
// BEFORE the kernel redirects to them; its request records join the flow ring and the metrics.
import path from "node:path";
import { ProxyClient } from "../l7/proxy-client";
import type { L7Event } from "../l7/proxy-protocol";
import { counter, labelledSamples, type Metric } from "../flows";
import { l7FlowRecord } from "../flows/l7-record";
import type { NftPlan } from "../compile";
import type { EngineFlows } from "./flows/flows";
import { logDir, type EngineConfig } from "./config";

export const l7ProxySocket = (c: EngineConfig) => path.join(c.stateDir, "l7-proxy.sock");

export class EngineL7 {
  readonly client: ProxyClient;
  /** `${method} ${status} ${verdict}` -> requests. */
  private readonly requests: Record<string, number> = {};
  private lost = 0;
  /** Listener ports the proxy could not bind at the last sync (errno text). */
  lastErrors: string[] = [];
  /** Times the proxy was found gone and started again. */
  restarts = 0;
  private listeners: NftPlan["policy"]["l7"] = [];
  private closed = false;

  constructor(config: EngineConfig, private readonly flows: EngineFlows) {
    this.client = new ProxyClient(l7ProxySocket(config), path.join(logDir(config), "l7-proxy.log"), (records, lost) => this.onRecords(records, lost), () => this.onLost());
  }

  /** Before a commit: the proxy serves the plan's listeners (a failure leaves the redirect refused, never open). */
  async beforeCommit(plan: NftPlan): Promise<void> {
    this.listeners = plan.policy.l7;
    await this.sync();
  }

  /** Supervision: a proxy that dies while it has listeners is started again with them. */
  private onLost(): void {
    if (this.closed || this.listeners.length === 0) return;
    this.restarts++;
    console.error("pontond: the L7 proxy went away; starting it again");
    setTimeout(() => void this.sync(), 200);
  }

  private async sync(): Promise<void> {
    try {
      const results = await this.client.sync(this.listeners);
      this.lastErrors = results.filter((r) => r.error).map((r) => `port ${r.listen}: ${r.error!.errno} ${r.error!.message}`);
    } catch (e) {
      this.lastErrors = [(e as Error).message];
    }
    if (this.lastErrors.length) console.error(`pontond: L7 proxy: ${this.lastErrors.join("; ")}`);
  }

  /** Start-up: a proxy that outlived the last pontond sends its records here again. */
  reattach(): Promise<void> {
    return this.client.reattach();
  }

  private onRecords(records: L7Event[], lost: number): void {
    this.lost = lost;
    const ring = this.flows.collector.ring;
    const dir = this.flows.collector.currentDirectory();
    for (const e of records) {
      const key = `${e.method} ${e.status} ${e.verdict === "DROPPED" ? "DROPPED" : "FORWARDED"}`;
      this.requests[key] = (this.requests[key] ?? 0) + 1;
      ring.push(l7FlowRecord(e, dir, ring.nextSeq()));
    }
  }

  metrics(): Metric[] {
    return [
      counter("ponton_l7_requests_total", "HTTP requests through the L7 proxy, by method, status and verdict.", labelledSamples(this.requests, ["method", "status", "verdict"])),
      counter("ponton_l7_records_lost_total", "L7 request records the proxy made while no pontond was connected.", [{ value: this.lost }]),
      counter("ponton_l7_proxy_restarts_total", "Times pontond found the L7 proxy gone and started it again.", [{ value: this.restarts }]),
    ];
  }

  status() {
    return this.client.status().catch(() => undefined);
  }

  close(): void {
    this.closed = true;
    // The proxy stays: its connections outlive this pontond, the next one reconnects.
    this.client.close();
  }
}
