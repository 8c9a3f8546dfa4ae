// Docker-style port specs: [hostIP:][hostPort[-end]:]containerPort[-end][/tcp|udp]
import { EngineError } from "../errors";
import { canonicalIp, parseCidr, formatCidr } from "./ip";
import type { PortMapping, Protocol } from "./types";

/** What a range may publish: a daemon setting and a per-request opt-in. */
export interface PortLimits {
  /** Most host ports one spec may publish (pontond --max-port-range). */
  maxRange: number;
  /** A range may include ports below 1024 (run --privileged-ranges); a single port always may. */
  privilegedRanges: boolean;
}

export const DEFAULT_PORT_LIMITS: PortLimits = { maxRange: 1000, privilegedRanges: false };

/** Wildcard addresses: `0.0.0.0` is every IPv4 address of the host, `::` every IPv6 one. */
export function wildcardFamily(ip: string | undefined): 4 | 6 | undefined {
  return ip === "0.0.0.0" ? 4 : ip === "::" ? 6 : undefined;
}

/** Host port 0 means "pick a free one" until the engine has picked it. */
export const RANDOM_PORT = 0;

function port(text: string, spec: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) {
    throw new EngineError("INVALID_PORT", `invalid port '${text}' in '${spec}'`);
  }
  return n;
}

function range(text: string, spec: string): [number, number] {
  const [a, b] = text.split("-");
  const start = port(a!, spec);
  const end = b === undefined ? start : port(b, spec);
  if (end < start) throw new EngineError("INVALID_PORT", `port range '${text}' ends before it starts in '${spec}'`);
  return [start, end];
}

/** A range is bounded by the daemon's setting, and reaches below 1024 only when asked. */
function checkRange(spec: string, start: number, end: number, limits: PortLimits): void {
  const count = end - start + 1;
  if (count > limits.maxRange) {
    throw new EngineError("PORT_RANGE_TOO_LARGE", `'${spec}' publishes ${count} host ports; at most ${limits.maxRange} per range`, {
      hint: `publish a smaller range, or start pontond with --max-port-range ${count}`,
    });
  }
  if (count > 1 && start < 1024 && !limits.privilegedRanges) {
    throw new EngineError("PRIVILEGED_PORT_RANGE", `'${spec}' is a range that includes host ports below 1024 (${start}-${Math.min(end, 1023)})`, {
      hint: "publish those ports one by one, or pass --privileged-ranges (API: privilegedRanges: true) to allow it",
    });
  }
}

/** Expands one spec into one mapping per port (ranges are element-per-port in nftables maps). */
export function parsePortSpec(spec: string, allowFrom: string[] = [], limits: PortLimits = DEFAULT_PORT_LIMITS): PortMapping[] {
  let rest = spec.trim();
  let protocol: Protocol = "tcp";
  const slash = rest.lastIndexOf("/");
  if (slash >= 0) {
    const p = rest.slice(slash + 1).toLowerCase();
    if (p !== "tcp" && p !== "udp") throw new EngineError("INVALID_PORT", `unknown protocol '${p}' in '${spec}'`, { hint: "use /tcp or /udp" });
    protocol = p;
    rest = rest.slice(0, slash);
  }
  let hostIp: string | undefined;
  const lastColon = rest.lastIndexOf(":");
  const containerPart = rest.slice(lastColon + 1);
  let hostPart = lastColon < 0 ? "" : rest.slice(0, lastColon);
  const ipColon = hostPart.startsWith("[") ? hostPart.indexOf("]:") + 1 : hostPart.lastIndexOf(":");
  if (ipColon > 0) {
    const ipText = hostPart.slice(0, ipColon).replace(/^\[|\]$/g, "");
    hostIp = canonicalIp(ipText);
    hostPart = hostPart.slice(ipColon + 1);
  } else if (hostPart.startsWith("[")) {
    throw new EngineError("INVALID_PORT", `invalid port spec '${spec}'`);
  }
  const [cs, ce] = range(containerPart, spec);
  // No host port (`80`, `127.0.0.1::80`): one free host port per container port, picked by the engine.
  const [hs, he] = hostPart === "" ? [RANDOM_PORT, RANDOM_PORT + ce - cs] : range(hostPart, spec);
  const hostCount = he - hs;
  const containerCount = ce - cs;
  if (containerCount !== 0 && containerCount !== hostCount) {
    throw new EngineError("INVALID_PORT", `host and container port ranges differ in size in '${spec}'`);
  }
  checkRange(spec, hostPart === "" ? 1024 : hs, hostPart === "" ? 1024 + hostCount : he, limits);
  const allow = allowFrom.map((c) => formatCidr(parseCidr(c)));
  const out: PortMapping[] = [];
  for (let i = 0; i <= hostCount; i++) {
    const hostPort = hostPart === "" ? RANDOM_PORT : hs + i;
    out.push({ ...(hostIp ? { hostIp } : {}), hostPort, containerPort: containerCount === 0 ? cs : cs + i, protocol, allowFrom: allow });
  }
  return out;
}

/** Validates a mapping that arrived as JSON (API, YAML). A missing or 0 hostPort asks for a free one. */
export function validatePortMapping(p: unknown, limits: PortLimits = DEFAULT_PORT_LIMITS): PortMapping {
  if (typeof p === "string") {
    const list = parsePortSpec(p, [], limits);
    if (list.length !== 1) throw new EngineError("INVALID_PORT", `give ranges as separate entries or as a string list: '${p}'`);
    return list[0]!;
  }
  const o = (p ?? {}) as Record<string, unknown>;
  const protocol = String(o.protocol ?? "tcp").toLowerCase();
  if (protocol !== "tcp" && protocol !== "udp") throw new EngineError("INVALID_PORT", `unknown protocol '${protocol}'`);
  const hostPort = o.hostPort === undefined || o.hostPort === 0 ? RANDOM_PORT : port(String(o.hostPort), JSON.stringify(p));
  const containerPort = port(String(o.containerPort ?? ""), JSON.stringify(p));
  const allowFrom = Array.isArray(o.allowFrom) ? o.allowFrom.map((c) => formatCidr(parseCidr(String(c)))) : [];
  const hostIp = o.hostIp === undefined || o.hostIp === "" ? undefined : canonicalIp(String(o.hostIp));
  return { ...(hostIp ? { hostIp } : {}), hostPort, containerPort, protocol, allowFrom };
}

export function portKey(p: PortMapping): string {
  return `${p.hostIp ?? "*"}:${p.hostPort}/${p.protocol}`;
}

/** The families a mapping is published on: a wildcard or no address is a whole family (or both). */
export function portFamilies(p: PortMapping): (4 | 6)[] {
  if (p.hostIp === undefined) return [4, 6];
  return [wildcardFamily(p.hostIp) ?? (p.hostIp.includes(":") ? 6 : 4)];
}

/** Two mappings collide when they share protocol and host port on an overlapping address. */
export function portsCollide(a: PortMapping, b: PortMapping): boolean {
  if (a.protocol !== b.protocol || a.hostPort !== b.hostPort || a.hostPort === RANDOM_PORT) return false;
  const fb = portFamilies(b);
  if (!portFamilies(a).some((f) => fb.includes(f))) return false;
  const specific = (p: PortMapping) => p.hostIp !== undefined && wildcardFamily(p.hostIp) === undefined;
  return !specific(a) || !specific(b) || a.hostIp === b.hostIp;
}

export function formatPort(p: PortMapping): string {
  const host = p.hostIp ? (p.hostIp.includes(":") ? `[${p.hostIp}]:` : `${p.hostIp}:`) : "";
  const hostPort = p.hostPort === RANDOM_PORT ? "" : String(p.hostPort);
  if (!host && !hostPort) return `${p.containerPort}/${p.protocol}`;
  return `${host}${hostPort}:${p.containerPort}/${p.protocol}`;
}
