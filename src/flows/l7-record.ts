// Pure: one request record of the L7 proxy -> a flow record with its HTTP part, resolved against
// the same directory as the kernel's records (workload names, labels, the deciding policy).
import type { L7Event } from "../l7/l7-event";
import type { FlowDirectory, FlowEndpoint, FlowRecord } from "./record";

export function l7FlowRecord(e: L7Event, dir: FlowDirectory, seq: number): FlowRecord {
  const end = (ip: string, port: number): FlowEndpoint => ({ ...(dir.byIp.get(ip) ?? { ip }), port });
  const http = { type: "http" as const, method: e.method, url: e.url, ...(e.host ? { host: e.host } : {}), status: e.status, latencyMs: Math.round(e.latencyMs * 1000) / 1000 };
  const base = { seq, time: new Date(e.t).toISOString(), ipVersion: e.src.includes(":") ? (6 as const) : (4 as const), protocol: "tcp", source: end(e.src, e.sport), destination: end(e.dst, e.dport), interfaces: {}, direction: e.direction, l7: http };
  const what = `HTTP ${e.method} ${e.url}`;
  if (e.verdict === "DROPPED") {
    return { ...base, verdict: "DROPPED", dropReason: "POLICY_DENIED", summary: `${what}: no HTTP rule allows it (403 Access denied)`, policies: [] };
  }
  const r = e.rule;
  const by = r ? `allowed by ${r.policy} ${r.direction}[${r.ruleIndex}]` : "allowed";
  const summary = e.verdict === "ERROR" ? `${what}: ${by}, the workload did not answer (${e.status})` : `${what}: ${by}, answered ${e.status}`;
  return { ...base, verdict: "FORWARDED", summary, policies: r ? [r.policy] : [], ...(r ? { rule: r } : {}) };
}
