// The engine's side of the L7 proxy (HAProxy, src/l7): its listeners follow the committed policy
// plan, loaded BEFORE the kernel redirects to them; its request log arrives on a unix socket here
// (HAProxy's log ring connects to it, and keeps what it logs while no pontond listens), read in
// batches (l7-log-socket.ts), and joins the flow ring and the metrics.
import { mkdirSync, unlinkSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { HaproxyProcess } from "../../l7/haproxy-process";
import { parseHaproxyLog } from "../../l7/haproxy-log";
import { sectionName } from "../../l7/haproxy-config";
import type { L7Event } from "../../l7/l7-event";
import type { L7Listener } from "../../policy";
import { counter, labelledSamples, type Metric } from "../../flows";
import { l7FlowRecord } from "../../flows/l7-record";
import type { NftPlan } from "../../compile";
import type { EngineFlows } from "../flows/flows";
import { logDir } from "../config";
import type { EngineContext } from "../context";
import { applyReturnPath, bridgedBackends } from "./l7-return-path";
import { listenLogSocket } from "./l7-log-socket";

/** How often pontond looks whether HAProxy still runs. */
const WATCH_MS = 500;

export class EngineL7 {
  readonly haproxy: HaproxyProcess;
  /** `${method} ${status} ${verdict}` -> requests. */
  private readonly requests: Record<string, number> = {};
  /** Gaps in a worker's request counter: lines that never arrived (an upper bound, see metrics()). */
  private lost = 0;
  private readonly lastCounter = new Map<number, number>();
  /** Why the last apply failed (the redirect then leads nowhere: connections are refused, never let through). */
  lastErrors: string[] = [];
  /** Times HAProxy was found gone and started again. */
  restarts = 0;
  private listeners: L7Listener[] = [];
  private bySection = new Map<string, L7Listener>();
  private server: Promise<net.Server> | undefined;
  private watch: NodeJS.Timeout | undefined;
  private running = false;
  private closed = false;
  /** The return path's nft text last applied (undefined: not yet since start: applied again). */
  private returnPath: string | undefined;

  constructor(private readonly ctx: EngineContext, private readonly flows: EngineFlows) {
    this.haproxy = new HaproxyProcess(path.join(ctx.config.stateDir, "l7"), path.join(logDir(ctx.config), "haproxy.log"));
  }

  /** Before a commit: HAProxy serves the plan's listeners. */
  async beforeCommit(plan: NftPlan): Promise<void> {
    this.listeners = plan.policy.l7;
    this.bySection = new Map(this.listeners.map((l) => [sectionName(l), l]));
    await this.apply();
  }

  private async apply(): Promise<void> {
    try {
      if (this.listeners.length > 0) await this.listen();
      // Backends on a bridge see the client's address: their answers' way back first, then HAProxy.
      const bridged = bridgedBackends(this.ctx, this.listeners);
      this.returnPath = await applyReturnPath(this.ctx, this.listeners.length > 0, [...bridged.values()], this.returnPath);
      // Read only when there is a listener: `ip -j addr` lists every workload veth (a pass over all
      // of them per creation on a routed network, issue 20), and no listener needs no address.
      const host = this.listeners.length > 0 ? await this.hostAddresses() : [];
      await this.haproxy.apply(this.listeners, (l) => bridged.has(`${l.ip}:${l.port}`), host);
      this.running = this.listeners.length > 0;
      this.lastErrors = [];
    } catch (e) {
      this.lastErrors = [(e as Error).message];
      console.error(`pontond: L7 proxy: ${this.lastErrors.join("; ")}`);
    }
  }

  /**
   * This host's addresses, read at each apply: its own connections to a guarded port come from
   * one (an address added later is not one until the next policy change: its requests then get
   * the peers' rules, never more).
   */
  private async hostAddresses(): Promise<string[]> {
    const links = JSON.parse((await this.ctx.exec.run("ip", ["-j", "addr", "show"])).stdout) as { addr_info?: { local?: string }[] }[];
    const all = links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local ?? "")).filter((a) => a !== "" && !a.startsWith("fe80:"));
    return [...new Set(all)].sort();
  }

  /** Start-up: HAProxy that outlived the last pontond delivers its log (and what it kept) here. */
  async reattach(): Promise<void> {
    if (this.haproxy.masterPid() !== undefined) await this.listen();
    this.watch ??= setInterval(() => this.check(), WATCH_MS);
    this.watch.unref();
  }

  /** Supervision: HAProxy gone while it has listeners is started again with them. */
  private check(): void {
    if (this.closed || !this.running || this.listeners.length === 0 || this.haproxy.masterPid() !== undefined) return;
    this.running = false;
    this.restarts++;
    console.error("pontond: HAProxy (the L7 proxy) went away; starting it again");
    void this.apply();
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
    const ring = this.flows.collector.ring;
    const dir = this.flows.collector.currentDirectory();
    for (const line of lines) {
      const r = parseHaproxyLog(line);
      if (!r) continue;
      const last = this.lastCounter.get(r.pid);
      if (last !== undefined && r.counter > last + 1) this.lost += r.counter - last - 1;
      this.lastCounter.set(r.pid, r.counter);
      const l = this.bySection.get(r.section);
      const [kind, guarded, guardedPort] = splitSection(r.section);
      // Egress: the section names the client; the destination is where it connected.
      const egress = kind === "l7e";
      const [dst, dport] = egress ? [r.to?.ip ?? "", r.to?.port ?? guardedPort] : [guarded, guardedPort];
      const rule = r.source !== undefined ? l?.sources[r.source]?.rule : undefined;
      const e: L7Event = { ...r.event, dst, dport, direction: egress ? "egress" : "ingress", ...(rule ? { rule } : {}) };
      const key = `${e.method} ${e.status} ${e.verdict === "DROPPED" ? "DROPPED" : "FORWARDED"}`;
      this.requests[key] = (this.requests[key] ?? 0) + 1;
      ring.push(l7FlowRecord(e, dir, ring.nextSeq()));
    }
  }

  metrics(): Metric[] {
    return [
      counter("ponton_l7_requests_total", "HTTP requests through the L7 proxy, by method, status and verdict.", labelledSamples(this.requests, ["method", "status", "verdict"])),
      counter("ponton_l7_records_lost_total", "Request log lines HAProxy numbered but pontond never received (gaps in a worker's request counter; its own log and reload sessions take numbers too, so an upper bound).", [{ value: this.lost }]),
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

function splitSection(name: string): [string, string, number] {
  const m = /^(l7e?)_(.+):(\d+)$/.exec(name);
  return m ? [m[1]!, m[2]!, Number(m[3])] : ["", "", 0];
}
