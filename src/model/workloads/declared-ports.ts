// Declared (named) container ports, as a pod spec's `ports` — what named ports in policies resolve on.
// Not published: `-p` publishes, `--expose` only declares.
import { EngineError } from "../../errors";
import type { DeclaredPort } from "../types";

// Kubernetes' IANA_SVC_NAME: 1-15 lowercase letters, digits and '-', at least one letter.
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;
const PROTOCOLS = new Set(["TCP", "UDP", "SCTP"]);

function bad(what: string): never {
  throw new EngineError("INVALID_PORT", `invalid declared port '${what}'`, { hint: "write NAME=PORT[/tcp|udp|sctp] or PORT[/proto], e.g. serve-80-tcp=80/tcp" });
}

function check(name: string | undefined, port: unknown, protocol: unknown, what: string): DeclaredPort {
  const n = typeof port === "string" ? Number(port) : port;
  const proto = String(protocol ?? "TCP").toUpperCase();
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 65535 || !PROTOCOLS.has(proto)) bad(what);
  if (name !== undefined && !PORT_NAME.test(name)) bad(what);
  return { ...(name !== undefined ? { name } : {}), port: n, protocol: proto as DeclaredPort["protocol"] };
}

/** "serve-80-tcp=80/tcp", "80/udp", or {name, containerPort|port, protocol}. */
export function parseDeclaredPort(v: unknown): DeclaredPort {
  if (typeof v === "number") return check(undefined, v, "TCP", String(v));
  if (typeof v === "string") {
    const eq = v.indexOf("=");
    const name = eq > 0 ? v.slice(0, eq) : undefined;
    const [port, proto] = v.slice(eq + 1).split("/");
    return check(name, port, proto ?? "TCP", v);
  }
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const m = v as Record<string, unknown>;
    const name = m.name === undefined ? undefined : String(m.name);
    return check(name, m.containerPort ?? m.port, m.protocol, JSON.stringify(v));
  }
  return bad(String(v));
}

export function normalizeDeclaredPorts(list: unknown): DeclaredPort[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new EngineError("INVALID_PORT", "declared ports must be a list");
  const out = list.map(parseDeclaredPort);
  const names = out.filter((p) => p.name).map((p) => p.name!);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new EngineError("INVALID_PORT", `declared port name '${dup}' is given twice`);
  return out;
}

export const formatDeclaredPort = (p: DeclaredPort) => `${p.name ? `${p.name}=` : ""}${p.port}/${p.protocol.toLowerCase()}`;
