import { test } from "node:test";
import assert from "node:assert/strict";
import { renderMetrics } from "../../flows";
import { zeroCounters } from "../../dns/server/counters";
import { dnsMetrics } from "./dns-metrics";

test("every DNS counter is a Prometheus counter named ponton_dns_<name>_total", () => {
  const c = { ...zeroCounters(), queries: 7, answeredLocally: 5, upstreamQueries: 2 };
  const text = renderMetrics(dnsMetrics(c));
  assert.match(text, /^ponton_dns_queries_total 7$/m);
  assert.match(text, /^ponton_dns_answered_locally_total 5$/m);
  assert.match(text, /^ponton_dns_upstream_queries_total 2$/m);
  assert.match(text, /^# TYPE ponton_dns_refused_total counter$/m);
  assert.equal(dnsMetrics(undefined).length, 0, "no DNS server (--dns-port 0): no DNS metrics");
});
