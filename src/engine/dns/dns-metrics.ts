// The embedded DNS server's counters as Prometheus counters (ponton_dns_<name>_total): queries/s,
// local and forwarded answers, refusals and errors can be graphed like the flow metrics.
import { counter, type Metric } from "../../flows";
import type { DnsCounters } from "../../dns";

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function dnsMetrics(counters: DnsCounters | undefined): Metric[] {
  if (!counters) return [];
  return Object.entries(counters).map(([k, v]) => counter(`ponton_dns_${snake(k)}_total`, `Embedded DNS: ${k} since pontond started.`, [{ value: v as number }]));
}
