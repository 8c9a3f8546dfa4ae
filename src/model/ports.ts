// Docker-style port specs: [hostIP:]hostPort[-end]:containerPort[-end][/tcp|udp]
import { EngineError } from "../errors";
import { canonicalIp, parseCidr, formatCidr } from "./ip";
import type { PortMapping, Protocol } from "./types";

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

/** Expands one spec into one mapping per port (ranges are element-per-port in nftables maps). */
export function parsePortSpec(spec: string, allowFrom: string[] = []): PortMapping[] {
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
  if (lastColon < 0) throw new EngineError("INVALID_PORT", `invalid port spec '${spec}'`);
  const containerPart = rest.slice(lastColon + 1);
  let hostPart = rest.slice(0, lastColon);
  const ipColon = hostPart.startsWith("[") ? hostPart.indexOf("]:") + 1 : hostPart.lastIndexOf(":");
  if (ipColon > 0) {
    const ipText = hostPart.slice(0, ipColon).replace(/^\[|\]$/g, "");
    hostIp = canonicalIp(ipText);
    hostPart = hostPart.slice(ipColon + 1);
  }
  const [hs, he] = range(hostPart, spec);
  const [cs, ce] = range(containerPart, spec);
  const hostCount = he - hs;
  const containerCount = ce - cs;
  if (containerCount !== 0 && containerCount !== hostCount) {
    throw new EngineError("INVALID_PORT", `host and container port ranges differ in size in '${spec}'`);
  }
  const allow = allowFrom.map((c) => formatCidr(parseCidr(c)));
  const out: PortMapping[] = [];
  for (let i = 0; i <= hostCount; i++) {
    out.push({ ...(hostIp ? { hostIp } : {}), hostPort: hs + i, containerPort: containerCount === 0 ? cs : cs + i, protocol, allowFrom: allow });
  }
  return out;
}

/** Validates a mapping that arrived as JSON (API, YAML). */
export function validatePortMapping(p: unknown): PortMapping {
  if (typeof p === "string") {
    const list = parsePortSpec(p);
    if (list.length !== 1) throw new EngineError("INVALID_PORT", `give ranges as separate entries or as a string list: '${p}'`);
    return list[0]!;
  }
  const o = (p ?? {}) as Record<string, unknown>;
  const protocol = String(o.protocol ?? "tcp").toLowerCase();
  if (protocol !== "tcp" && protocol !== "udp") throw new EngineError("INVALID_PORT", `unknown protocol '${protocol}'`);
  const hostPort = port(String(o.hostPort ?? ""), JSON.stringify(p));
  const containerPort = port(String(o.containerPort ?? ""), JSON.stringify(p));
  const allowFrom = Array.isArray(o.allowFrom) ? o.allowFrom.map((c) => formatCidr(parseCidr(String(c)))) : [];
  const hostIp = o.hostIp === undefined || o.hostIp === "" ? undefined : canonicalIp(String(o.hostIp));
  return { ...(hostIp ? { hostIp } : {}), hostPort, containerPort, protocol, allowFrom };
}

export function portKey(p: PortMapping): string {
  return `${p.hostIp ?? "*"}:${p.hostPort}/${p.protocol}`;
}

/** Two mappings collide when they share protocol and host port on an overlapping address. */
export function portsCollide(a: PortMapping, b: PortMapping): boolean {
  if (a.protocol !== b.protocol || a.hostPort !== b.hostPort) return false;
  if (a.hostIp === undefined || b.hostIp === undefined) {
    const family = (ip?: string) => (ip === undefined ? undefined : ip.includes(":") ? 6 : 4);
    const fa = family(a.hostIp);
    const fb = family(b.hostIp);
    return fa === undefined || fb === undefined || fa === fb;
  }
  return a.hostIp === b.hostIp;
}

export function formatPort(p: PortMapping): string {
  const host = p.hostIp ? (p.hostIp.includes(":") ? `[${p.hostIp}]:` : `${p.hostIp}:`) : "";
  return `${host}${p.hostPort}:${p.containerPort}/${p.protocol}`;
}
