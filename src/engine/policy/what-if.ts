// Use case: which of the flows seen lately would pasted policies deny, were they applied. Nothing
// is stored or compiled into the kernel; the answer comes from the `policy explain` oracle.
import { policyWorld, statePolicies } from "../../compile";
import { parsePolicies, whatIf, type Protocol, type WhatIfConnection } from "../../policy";
import type { FlowRecord } from "../../flows";
import type { EngineContext } from "../context";

const PROTOCOLS: Record<string, Protocol> = { tcp: "TCP", udp: "UDP", sctp: "SCTP" };

export interface WhatIfRow {
  seq: number;
  time: string;
  verdict: FlowRecord["verdict"];
  from: string;
  to: string;
  port: number;
  protocol: Protocol;
  allowedNow: boolean;
  allowedAfter: boolean;
  deniedBy: string[];
}

/**
 * Connections are explained by address (a workload's address resolves to it, as in `explain`).
 * Flows without a port (ICMP) and flows to a service VIP (the kernel picks the backend) are skipped.
 */
export function whatIfPolicy(ctx: EngineContext, text: string, records: readonly FlowRecord[]) {
  const candidates = parsePolicies(text);
  const state = ctx.store.state();
  const seen = new Set<string>();
  const picked: { r: FlowRecord; c: WhatIfConnection }[] = [];
  for (const r of records) {
    const protocol = PROTOCOLS[r.protocol];
    const port = r.destination.port;
    if (!protocol || port === undefined || r.destination.service) continue;
    // One row per distinct connection: the answer depends on nothing else.
    const key = `${r.source.ip}>${r.destination.ip}:${port}/${protocol}`;
    if (seen.has(key)) continue;
    seen.add(key);
    picked.push({ r, c: { from: r.source.ip, to: r.destination.ip, port, protocol } });
  }
  const outcomes = whatIf(policyWorld(state), statePolicies(state), candidates, picked.map((p) => p.c));
  const name = (e: FlowRecord["source"]) => (e.workload ? `${e.namespace}/${e.workload}` : e.ip);
  const rows: WhatIfRow[] = picked.map(({ r, c }, i) => ({
    seq: r.seq,
    time: r.time,
    verdict: r.verdict,
    from: name(r.source),
    to: name(r.destination),
    port: c.port,
    protocol: c.protocol,
    allowedNow: outcomes[i]!.allowedNow,
    allowedAfter: outcomes[i]!.allowedAfter,
    deniedBy: outcomes[i]!.deniedBy,
  }));
  return {
    policies: candidates.map((p) => `${p.namespace}/${p.name}`),
    considered: records.length,
    connections: rows.length,
    wouldDeny: rows.filter((r) => !r.allowedAfter).length,
    rows,
  };
}
