// Pure: does a listener let this client send this request? Cilium's HTTP rule semantics: every
// field given must match (method, path and host as regular expressions over the whole value,
// headers present or present with that exact value); one matching rule of one source that
// covers the client admits the request; a source with no HTTP rules admits every request.
import type { HttpRule, L7Listener, RuleRef } from "../policy";

export interface HttpRequestView {
  method: string;
  /** The request target as sent ("/v1/a?b=c"): rules match all of it, as Envoy matches :path. */
  url: string;
  host: string;
  /** Lower-case names (Node's req.headers). */
  headers: Record<string, string | string[] | undefined>;
}

export type HttpDecision = { allowed: true; rule: RuleRef } | { allowed: false };

type Compiled = (r: HttpRequestView) => boolean;

const cache = new Map<HttpRule, Compiled>();

function headerTest(spec: string): (r: HttpRequestView) => boolean {
  const colon = spec.indexOf(":");
  const name = (colon < 0 ? spec : spec.slice(0, colon)).trim().toLowerCase();
  if (colon < 0) return (r) => r.headers[name] !== undefined;
  const value = spec.slice(colon + 1).trim();
  return (r) => {
    const v = r.headers[name];
    return Array.isArray(v) ? v.includes(value) : v === value;
  };
}

export function compileRule(rule: HttpRule): Compiled {
  let c = cache.get(rule);
  if (c) return c;
  const re = (s: string | undefined) => (s === undefined ? undefined : new RegExp(`^(?:${s})$`));
  const method = re(rule.method), path = re(rule.path), host = re(rule.host);
  const headers = (rule.headers ?? []).map(headerTest);
  c = (r) => (!method || method.test(r.method)) && (!path || path.test(r.url)) && (!host || host.test(r.host)) && headers.every((h) => h(r));
  cache.set(rule, c);
  return c;
}

/** The numeric form of a dotted IPv4 address (an IPv4-mapped IPv6 one too); NaN otherwise. */
export function ipv4Number(ip: string): number {
  const text = ip.startsWith("::ffff:") ? ip.slice(7) : ip;
  const parts = text.split(".");
  if (parts.length !== 4) return NaN;
  return parts.reduce((n, o) => n * 256 + Number(o), 0);
}

export function decide(listener: L7Listener, clientIp: string, req: HttpRequestView): HttpDecision {
  const ip = ipv4Number(clientIp);
  for (const s of listener.sources) {
    if (!s.ranges.some(([lo, hi]) => ip >= lo && ip <= hi)) continue;
    if (!s.http || s.http.some((r) => compileRule(r)(req))) return { allowed: true, rule: s.rule };
  }
  return { allowed: false };
}
