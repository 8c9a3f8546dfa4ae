// Use cases on flow records: query, follow, status and the Prometheus metrics.
import { counter, FlowCollector, flowDirectory, flowFilter, gauge, labelledSamples, renderMetrics, type FlowQuery, type FlowRecord, type Metric } from "../../flows";
import type { EngineContext } from "../context";
import { FlowJournal, flowJournalFile } from "./flow-journal";
import { PolicyLogWriter, policyLogFile } from "../policy/policy-log";
import { LogBudget } from "./log-budget";

export const DEFAULT_FLOW_LIMIT = 1000;

/**
 * The collector always runs: drops are always logged by the kernel. `--flow-log off` only stops
 * the kernel from logging every new connection (those a policy's ponton.dev/log asks for still are).
 */
export class EngineFlows {
  readonly collector: FlowCollector;
  private readonly policyLog: PolicyLogWriter;
  private readonly journal: FlowJournal | undefined;
  /** Records the kernel's log rate limits dropped (counted in the table). */
  readonly logBudget: LogBudget;

  constructor(private readonly ctx: EngineContext) {
    this.collector = new FlowCollector(ctx.config.flowBuffer, () => flowDirectory(ctx.nft.extend(ctx.store.state()), ctx.nft.current?.policy));
    this.policyLog = new PolicyLogWriter(ctx);
    this.logBudget = new LogBudget(ctx);
    ctx.nft.replacing = () => this.logBudget.replacing();
    this.policyLog.attach(this.collector.ring);
    if (ctx.config.flowJournal) {
      this.journal = new FlowJournal(flowJournalFile(ctx.config));
      this.journal.attach(this.collector.ring);
    }
  }

  start(): Promise<void> {
    return this.collector.start();
  }

  /** The state changed: names and policy log settings are read again. */
  invalidate(): void {
    this.collector.invalidate();
    this.policyLog.invalidate();
  }

  stop(): void {
    this.collector.stop();
    void this.policyLog.close();
    void this.journal?.close();
  }

  /** The newest `limit` matching records, oldest first. */
  query(q: FlowQuery, limit = DEFAULT_FLOW_LIMIT): FlowRecord[] {
    const match = flowFilter(q);
    const all = this.collector.ring.records().filter(match);
    return limit > 0 ? all.slice(-limit) : all;
  }

  /** Matching records as they come, until the returned function is called. */
  follow(q: FlowQuery, onRecord: (r: FlowRecord) => void): () => void {
    const match = flowFilter({ ...q, since: undefined });
    return this.collector.ring.subscribe((r) => {
      if (match(r)) onRecord(r);
    });
  }

  async status() {
    const rateLimited = await this.logBudget.read();
    return { allConnections: this.ctx.config.flowLog, ...this.collector.info(), rateLimited, counters: this.collector.ring.counters, policyLog: policyLogFile(this.ctx) };
  }

  async metrics(extra: Metric[]): Promise<string> {
    const { ring } = this.collector;
    const info = this.collector.info();
    const rateLimited = await this.logBudget.read();
    return renderMetrics([
      ...extra,
      counter("ponton_flows_total", "Flow records by verdict (new connections forwarded, packets dropped or rejected).", labelledSamples(ring.counters.byVerdict, ["verdict"])),
      counter("ponton_drops_total", "Dropped or rejected packets logged, by reason.", labelledSamples(ring.counters.byReason, ["reason"])),
      counter("ponton_namespace_flows_total", "Flow records by namespace (either end) and verdict.", labelledSamples(ring.counters.byNamespace, ["namespace", "verdict"])),
      gauge("ponton_flow_buffer_capacity", "Flow records the ring buffer keeps.", info.buffer.capacity),
      gauge("ponton_flow_buffer_used", "Flow records in the ring buffer.", info.buffer.used),
      counter("ponton_flow_events_lost_total", "Times the kernel found the collector's socket full (ENOBUFS): records were lost.", [{ value: info.lostBatches }]),
      counter("ponton_flow_records_lost_total", "Logged packets that never became a record (gaps in the kernel's NFLOG sequence numbers).", [{ value: info.lostRecords }]),
      counter("ponton_flow_records_rate_limited_total", "Packets the kernel did not log, over a log rate limit (drops: 1,000/s per drop chain; new connections: 20,000/s): records lost, counted in the table.", [
        { labels: { log: "drop" }, value: rateLimited.drop },
        { labels: { log: "flow" }, value: rateLimited.flow },
      ]),
      gauge("ponton_flow_collector_up", "1 when the NFLOG helper is running.", info.running ? 1 : 0),
    ]);
  }
}
