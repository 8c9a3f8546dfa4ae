// Pure: one line of HAProxy's request log (LOG_FORMAT in haproxy-config.ts) -> the request's
// fields. HAProxy writes `"` and non-printable bytes in quoted fields as `#XX`; `-` is an absent value.
import type { L7Event } from "./l7-event";

export interface LoggedRequest {
  /** The worker and its request counter (gaps between two lines of one worker: lines lost). */
  pid: number;
  counter: number;
  /** The guarded address and port (from the section name), the source index that admitted it. */
  section: string;
  source: number | undefined;
  event: Omit<L7Event, "dst" | "dport" | "rule" | "direction">;
  /** HAProxy's termination state ("PR--": the proxy answered the request itself). */
  termination: string;
  /** The connection's original destination (lines written before it was logged have none). */
  to?: { ip: string; port: number };
}

const LINE = /^(\d+) (\d+) (\d+) (\S+) (\d+) (\S+) (\S+) "([^"]*)" "([^"]*)" (-?\d+) (-?\d+) (\S+) (\S+)(?: (\S+) (\d+))?$/;

const decode = (s: string) => s.replace(/#([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));

/** The line's fields (the groups of LINE) when it is a request line, else undefined. */
function requestFields(line: string): RegExpExecArray | undefined {
  const m = LINE.exec(line.trimEnd());
  if (!m || Number(m[10]) < 100 || m[7] === "<BADREQ>" || m[7] === "-") return undefined;
  return m;
}

/** What pontond counts for every line as it comes (the rest waits in the raw line until read). */
export interface ScannedRequest {
  pid: number;
  counter: number;
  section: string;
  src: string;
  method: string;
  status: number;
  /** The admitting source index ("-": none, the request was denied). */
  source: string;
  /** The connection's original destination address (egress lines). */
  toIp: string | undefined;
}

/** The counted fields only: no decoding, no record (the same lines as parseHaproxyLog accepts). */
export function scanHaproxyLog(line: string): ScannedRequest | undefined {
  const m = requestFields(line);
  if (!m) return undefined;
  const dst = m[14];
  return { pid: Number(m[1]), counter: Number(m[2]), section: m[6]!, src: unmapped(m[4]!), method: m[7]!, status: Number(m[10]), source: m[12]!, toIp: dst ? unmapped(dst) : undefined };
}

const unmapped = (ip: string) => (ip.startsWith("::ffff:") ? ip.slice(7) : ip);

/** undefined: not a request line (a connection closed before a request, a malformed one). */
export function parseHaproxyLog(line: string): LoggedRequest | undefined {
  const m = requestFields(line);
  if (!m) return undefined;
  const [, pid, counter, t, src, sport, section, method, url, host, status, ta, source, termination, dst, dport] = m;
  // The capture is written `{value}`.
  const h = decode(host!).replace(/^\{(.*)\}$/, "$1");
  return {
    pid: Number(pid),
    counter: Number(counter),
    section: section!,
    source: source === "-" ? undefined : Number(source),
    termination: termination!,
    ...(dst ? { to: { ip: unmapped(dst), port: Number(dport) } } : {}),
    event: {
      t: Number(t),
      src: unmapped(src!),
      sport: Number(sport),
      method: method!,
      url: decode(url!),
      ...(h ? { host: h } : {}),
      status: Number(status),
      latencyMs: Math.max(0, Number(ta)),
      verdict: source === "-" ? "DROPPED" : Number(status) >= 500 && termination![0] !== "-" ? "ERROR" : "FORWARDED",
    },
  };
}
