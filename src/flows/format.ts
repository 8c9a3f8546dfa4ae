// Pure: a flow record as one human line (ponton observe, the policy log), hubble-style.
import type { FlowEndpoint, FlowRecord } from "./record";

function endpointText(e: FlowEndpoint): string {
  const addr = e.port !== undefined ? (e.ip.includes(":") ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`) : e.ip;
  if (e.workload) return `${e.namespace}/${e.workload} (${addr})`;
  if (e.service) return `service ${e.service} (${addr})`;
  return e.host ? `host (${addr})` : addr;
}

/** Time, source -> destination, protocol and flags, verdict, why. */
export function flowLine(r: FlowRecord): string {
  const what = r.l7 ? `http ${r.l7.method} ${r.l7.url} ${r.l7.status} ${r.l7.latencyMs}ms` : [r.protocol, ...(r.dns ? [`${r.dns.type} ${r.dns.query}${r.dns.rcode ? ` ${r.dns.rcode}` : ""}`] : []), ...(r.tcpFlags ?? []), ...(r.icmp ? [`type ${r.icmp.type} code ${r.icmp.code}`] : [])].join(" ");
  const verdict = r.dropReason ? `${r.verdict} (${r.dropReason})` : r.verdict;
  return `${r.time.slice(0, 23).replace("T", " ")}  ${endpointText(r.source)} -> ${endpointText(r.destination)}  ${what}  ${verdict}  ${r.summary}`;
}
