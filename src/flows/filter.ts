// Pure: `ponton observe` options -> a predicate on flow records (hubble observe's filters).
import { EngineError } from "../errors";
import { cidrContainsText, parseCidr, parseIp } from "../model/ip";
import { l7Tests } from "./l7-filter";
import type { FlowEndpoint, FlowRecord } from "./record";

export interface FlowQuery {
  verdict?: string;
  namespace?: string;
  workload?: string;
  port?: string;
  /** Source / destination: "ns/workload", "workload", an IP or a CIDR. */
  from?: string;
  to?: string;
  protocol?: string;
  /** A policy that decided ("ns/name", or "name" in any namespace). */
  policy?: string;
  /** DNS flows whose query is this name, or under it ("example.com" matches "www.example.com"). */
  dns?: string;
  /** Records at or after: ISO time, or a duration back from now ("30s", "5m", "2h"). */
  since?: string;
  /** "l7" (HTTP requests through the L7 proxy) or "l3_l4" (connections and drops). */
  type?: string;
  /** HTTP method (exact, any case), URL path (a regular expression), status ("403", "4+", "5xx"). */
  httpMethod?: string;
  httpPath?: string;
  httpStatus?: string;
}

/** Every FlowQuery field, as a query string names it (the local API and the cluster relay read the same). */
export const FLOW_QUERY_KEYS = ["verdict", "namespace", "workload", "port", "from", "to", "protocol", "policy", "since", "type", "httpMethod", "httpPath", "httpStatus", "dns"] as const satisfies readonly (keyof FlowQuery)[];

const VERDICTS = new Set(["FORWARDED", "DROPPED", "REJECTED"]);
const DURATION = /^(\d+)(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function endpointMatcher(ref: string, what: string): (e: FlowEndpoint) => boolean {
  if (parseIp(ref)) return (e) => e.ip === ref;
  if (ref.includes("/") && /^[0-9a-f.:]+\/\d+$/i.test(ref)) {
    let cidr;
    try {
      cidr = parseCidr(ref);
    } catch {
      throw new EngineError("INVALID_ARGUMENT", `${what}: '${ref}' is not a valid CIDR`);
    }
    return (e) => cidrContainsText(cidr, e.ip);
  }
  const [ns, name] = ref.includes("/") ? ref.split("/", 2) : [undefined, ref];
  // `host`: this host's end of a host↔workload connection (or a workload named so).
  if (ref === "host") return (e) => e.host === true || e.workload === "host";
  return (e) => e.workload === name && (ns === undefined || e.namespace === ns);
}

/** The earliest time (ms) a record may have, or undefined. */
export function sinceMs(since: string | undefined, nowMs: number): number | undefined {
  if (!since) return undefined;
  const d = DURATION.exec(since);
  if (d) return nowMs - Number(d[1]) * UNIT_MS[d[2]!]!;
  const t = Date.parse(since);
  if (Number.isNaN(t)) throw new EngineError("INVALID_ARGUMENT", `--since '${since}' is neither a duration (30s, 5m, 2h) nor a time`);
  return t;
}

export function flowFilter(q: FlowQuery, nowMs = Date.now()): (r: FlowRecord) => boolean {
  const tests: ((r: FlowRecord) => boolean)[] = [];
  if (q.verdict) {
    const verdicts = q.verdict.toUpperCase().split(",");
    for (const v of verdicts) if (!VERDICTS.has(v)) throw new EngineError("INVALID_ARGUMENT", `unknown verdict '${v}'`, { hint: "FORWARDED, DROPPED or REJECTED" });
    tests.push((r) => verdicts.includes(r.verdict));
  }
  if (q.namespace) tests.push((r) => r.source.namespace === q.namespace || r.destination.namespace === q.namespace);
  if (q.workload) tests.push((r) => r.source.workload === q.workload || r.destination.workload === q.workload);
  if (q.port) {
    const port = Number(q.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new EngineError("INVALID_ARGUMENT", `invalid port '${q.port}'`);
    tests.push((r) => r.destination.port === port || r.source.port === port);
  }
  if (q.policy) {
    const p = q.policy;
    tests.push((r) => r.policies.some((x) => x === p || (!p.includes("/") && x.endsWith(`/${p}`))));
  }
  if (q.protocol) tests.push((r) => r.protocol === q.protocol!.toLowerCase());
  if (q.from) {
    const m = endpointMatcher(q.from, "--from");
    tests.push((r) => m(r.source));
  }
  if (q.to) {
    const m = endpointMatcher(q.to, "--to");
    tests.push((r) => m(r.destination));
  }
  tests.push(...l7Tests(q));
  if (q.dns) {
    const name = q.dns.toLowerCase().replace(/\.$/, "");
    tests.push((r) => r.dns !== undefined && (r.dns.query === name || r.dns.query.endsWith(`.${name}`)));
  }
  const since = sinceMs(q.since, nowMs);
  if (since !== undefined) tests.push((r) => Date.parse(r.time) >= since);
  return (r) => tests.every((t) => t(r));
}
