// Pure: the listeners of the policy plan -> HAProxy's configuration. A backend per guarded
// workload port, reached from its listener port (nft redirects a workload's connections there) or
// on the workload's own address (services and published ports, after their DNAT); the
// client's address picks the sources (the ingress rules that admit it), each source's HTTP rules
// become ACLs with Cilium's semantics (method, path and host as regular expressions over the whole
// value, headers present or present with exactly that value); the first source and rule that
// admit a request set `txn.rule` (its index, for the flow record); a request none admits gets
// Cilium's `403` with `Access denied\r\n`. Every request is logged, one line, into a ring that
// HAProxy forwards to pontond's log socket (haproxy-log.ts reads the line).
import type { HttpRule } from "../policy/l7-types";
import { L7_PROXY_GID, type L7Listener } from "../policy";

export interface HaproxyPaths {
  /** The master's pid file. */
  pid: string;
  /** The workers' stats socket: it hands the listening sockets to the next worker on reload. */
  admin: string;
  /** pontond's unix stream socket the log ring is forwarded to. */
  log: string;
  /** Where the listeners bind (pontond: every address, nft lets only redirected connections in). */
  bind?: string;
  /** The same for IPv6 workloads' listeners. */
  bind6?: string;
  /** Tests on loopback: no bind on the workloads' addresses. */
  noForeign?: boolean;
}

/**
 * Sections whose workload is reached from the client's own address (`usesrc clientip`): those
 * whose answers the kernel brings back to HAProxy (compile/l7-return.ts); the others from the
 * host's address on that network.
 */
export type Transparent = (l: L7Listener) => boolean;

/** The log line's fields, in order (haproxy-log.ts splits them); %fi/%fp: the connection's original destination (egress). */
export const LOG_FORMAT = `%pid %rt %Ts%ms %ci %cp %b %HM %{+Q}HU %{+Q}hr %ST %Ta %[var(txn.rule)] %tsc %fi %fp`;

/** Cilium's (Envoy's) body for a request no rule allows. */
const DENIED = `http-request deny deny_status 403 content-type text/plain string "Access denied\\r\\n"`;

/** The backend's name: the workload's address and port (egress: `l7e_`, the client's), read back from each log line. */
export const sectionName = (l: Pick<L7Listener, "ip" | "port" | "direction">) => `${l.direction === "egress" ? "l7e" : "l7"}_${l.ip}:${l.port}`;

/** An address as HAProxy reads it beside a port (IPv6 in brackets). */
const hostAddr = (ip: string) => (ip.includes(":") ? `[${ip}]` : ip);

/** A regular expression in single quotes (no escapes are processed there), anchored as Cilium does. */
function anchored(re: string): string {
  // A quote or a line break cannot stand inside the quotes: PCRE's own escapes say them.
  return `'^(?:${re.replace(/'/g, "\\x27").replace(/\n/g, "\\n").replace(/\r/g, "\\r")})$'`;
}

/** A literal value as an anchored PCRE (every character that is not a letter or digit escaped). */
const literal = (v: string) => [...v].map((c) => (/[A-Za-z0-9 ]/.test(c) ? c : `\\x{${c.codePointAt(0)!.toString(16)}}`)).join("");

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The ACL conditions of one HTTP rule (all must hold). */
function ruleConditions(rule: HttpRule): string[] {
  const c: string[] = [];
  if (rule.method !== undefined) c.push(`{ method -m reg ${anchored(rule.method)} }`);
  if (rule.path !== undefined) c.push(`{ url -m reg ${anchored(rule.path)} }`);
  if (rule.host !== undefined) c.push(`{ req.fhdr(host) -m reg ${anchored(rule.host)} }`);
  for (const h of rule.headers ?? []) {
    const colon = h.indexOf(":");
    const name = (colon < 0 ? h : h.slice(0, colon)).trim();
    // A name HTTP cannot carry matches no request.
    if (!TOKEN.test(name) || name.includes("'")) {
      c.push("FALSE");
      continue;
    }
    c.push(colon < 0 ? `{ req.fhdr(${name}) -m found }` : `{ req.fhdr(${name}) -m reg '^${literal(h.slice(colon + 1).trim())}$' }`);
  }
  return c;
}

/**
 * The frontend of one guarded port: its listener port (nft redirects a workload's connections to
 * it) and, transparent, the workload's own address and port: a service address or a published
 * port DNATs there, and nft routes those connections to this host (l7-chains.ts), where this
 * socket takes them.
 */
function frontend(l: L7Listener, bind: string, foreign: boolean): string[] {
  // Egress: TPROXY hands the client's connections to this socket, their destination unchanged.
  const tproxied = foreign && l.direction === "egress" ? " transparent" : "";
  return [`frontend l7_in_${l.listen}`, `  bind ${hostAddr(bind)}:${l.listen}${bind.includes(":") ? " v6only" : ""}${tproxied}`, ...(foreign && l.direction === "ingress" ? [`  bind ${hostAddr(l.ip)}:${l.port} transparent`] : []), "  capture request header Host len 256", `  default_backend ${sectionName(l)}`];
}

/**
 * The rules and the server of one guarded workload port. Egress: the sources are destinations
 * (`dst`, the connection's original destination) and the server is that destination itself
 * (address 0.0.0.0 without a port: where the client connected), reached from the client's own
 * address when it is on one of this host's networks (`local`: their answers come back to HAProxy,
 * compile/l7-return.ts), from this host's otherwise (masqueraded on the way out as before).
 */
function backend(l: L7Listener, transparent: boolean, host: string[], local: string[]): string[] {
  const egress = l.direction === "egress";
  const lines = [`backend ${sectionName(l)}`];
  // This host's own connections (its addresses) are told apart from the peers' CIDRs.
  const family = host.filter((a) => a.includes(":") === l.ip.includes(":"));
  const hostAcl = !egress && family.length > 0;
  if (hostAcl) lines.push(`  acl host src ${family.join(" ")}`);
  l.sources.forEach((s, i) => {
    if (s.host ? !hostAcl : s.cidrs.length === 0) return;
    if (!s.host) lines.push(`  acl src${i} ${egress ? "dst" : "src"} ${s.cidrs.join(" ")}`);
    const who = s.host ? ["host"] : hostAcl ? ["!host", `src${i}`] : [`src${i}`];
    const unset = "!{ var(txn.rule) -m found }";
    for (const rule of s.http ?? [undefined]) {
      const cond = rule ? ruleConditions(rule) : [];
      lines.push(`  http-request set-var(txn.rule) int(${i}) if ${[unset, ...who, ...cond].join(" ")}`);
    }
  });
  // Transparent: a server connection stays its client connection's own (`http-reuse never`), so it
  // never carries another client's request from the wrong address, and it is kept alive: with the
  // default (`safe`), HAProxy 2.6 opened a server connection per request when one client address had
  // several connections at once (bench/l7/README.md).
  const any = l.ip.includes(":") ? "[::]" : "0.0.0.0";
  const near = local.filter((c) => c.includes(":") === l.ip.includes(":"));
  if (egress && transparent && near.length > 0) {
    // Weight 0: only `use-server` picks it.
    lines.push(`  ${DENIED} if !{ var(txn.rule) -m found }`, `  use-server near if { dst ${near.join(" ")} }`, "  http-reuse never", `  server near 0.0.0.0 weight 0 source ${any} usesrc clientip`, "  server destination 0.0.0.0");
  } else if (egress) lines.push(`  ${DENIED} if !{ var(txn.rule) -m found }`, "  server destination 0.0.0.0");
  else lines.push(`  ${DENIED} if !{ var(txn.rule) -m found }`, ...(transparent ? [`  source ${any} usesrc clientip`, "  http-reuse never"] : []), `  server workload ${hostAddr(l.ip)}:${l.port}`);
  return lines;
}

/**
 * `host`: this host's addresses (its own connections to a guarded port come from one of them);
 * `local`: its networks' subnets (egress: destinations there see the client's address).
 */
export function haproxyConfig(listeners: L7Listener[], paths: HaproxyPaths, transparent: Transparent = () => false, host: string[] = [], local: string[] = []): string {
  const head = [
    "# Written by pontond (src/l7/haproxy-config.ts) for the ports guarded by HTTP rules: do not edit.",
    "global",
    "  master-worker",
    // The workers' group: nft lets this host's own connections to a guarded port through to
    // the proxy, except the proxy's own (meta skgid); still root, so transparent sockets work.
    `  gid ${L7_PROXY_GID}`,
    `  pidfile ${paths.pid}`,
    `  stats socket ${paths.admin} mode 600 level admin expose-fd listeners`,
    // An old worker finishes the requests it has after a reload, for at most this long.
    "  hard-stop-after 5m",
    "ring ponton_l7",
    "  format raw",
    // Records made while no pontond listens wait here (about 30,000 lines).
    "  size 4194304",
    "  timeout connect 1s",
    "  timeout server 1h",
    `  server pontond unix@${paths.log}`,
    "defaults",
    "  mode http",
    "  log ring@ponton_l7 local0 info",
    `  log-format "${LOG_FORMAT}"`,
    "  option http-keep-alive",
    "  timeout connect 5s",
    "  timeout client 60s",
    "  timeout server 60s",
    "  timeout http-keep-alive 60s",
    "  timeout tunnel 1h",
  ];
  const bind = (l: L7Listener) => (l.ip.includes(":") ? paths.bind6 ?? "::" : paths.bind ?? "0.0.0.0");
  return `${[...head, ...listeners.flatMap((l) => [...frontend(l, bind(l), !paths.noForeign), ...backend(l, transparent(l), host, local)])].join("\n")}\n`;
}
