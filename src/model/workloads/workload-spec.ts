// Pure: validation of a `run` request into what the engine needs (no kernel, no store, no files).
import { EngineError } from "../../errors";
import { canonicalIp, formatCidr, parseCidr } from "../ip";
import { validateLabels, validateName } from "../names";
import { DEFAULT_PORT_LIMITS, formatPort, parsePortSpec, portsCollide, validatePortMapping, type PortLimits } from "../ports";
import { normalizeDeclaredPorts } from "./declared-ports";
import { requestedAddresses } from "../networks/subnet-rules";
import { validateNamespace } from "../namespaces";
import { normalizeExtraHosts, normalizeWorkloadDns, validateHostname } from "./workload-dns";
import type { CniOwner, DeclaredPort, Network, PortMapping, ReplicaRef, RestartPolicy, StaticRoute, Workload } from "../types";

export interface AttachSpec {
  network: string;
  ip?: string;
  ip6?: string;
  /** Interface name inside the namespace (CNI_IFNAME); default eth<index>. */
  ifname?: string;
  /** MAC of that interface (CNI's mac capability); default derived from the address. */
  mac?: string;
  /** DNS names of the workload on this network only. */
  aliases?: string[];
}

export interface RunSpec {
  name: string;
  networks?: (AttachSpec | string)[];
  labels?: Record<string, string>;
  command?: string[];
  env?: Record<string, string>;
  restart?: RestartPolicy;
  routes?: StaticRoute[];
  /** Docker-style strings ("8080:80/tcp") or mappings. */
  ports?: (string | PortMapping)[];
  /** Source prefixes allowed to reach the ports given as strings (--allow-from). */
  allowFrom?: string[];
  /** A port range may include host ports below 1024 (--privileged-ranges); single ports always may. */
  privilegedRanges?: boolean;
  /** Attach an existing namespace instead of creating one (--netns /path). */
  netns?: string;
  project?: string;
  /** Made by a CNI ADD (see src/cni/). */
  cni?: CniOwner;
  /** Policy namespace (default "default"). */
  namespace?: string;
  /** Declared ports: "name=80/tcp" strings or {name, containerPort, protocol}. */
  exposes?: unknown[];
  /** DNS names of the workload on every network it joins (an AttachSpec's own aliases add to them). */
  aliases?: string[];
  /** Set by templates (see engine/workloads/templates.ts) for each replica they make. */
  replicaOf?: ReplicaRef;
  /** The hostname its command runs with (default: the workload name). */
  hostname?: string;
  /** resolv.conf settings: {policy, nameservers, search, options} (model/workload-dns.ts). */
  dns?: unknown;
  /** /etc/hosts entries: "NAME:IP" or {name, ip}. */
  extraHosts?: unknown[];
}

/** Aliases are names (as workload names), kept in order without repeats. */
export function normalizeAliases(aliases: unknown): string[] {
  if (aliases === undefined || aliases === null) return [];
  if (!Array.isArray(aliases)) throw new EngineError("INVALID_ARGUMENT", "aliases must be a list of names");
  return [...new Set(aliases.map((a) => validateName("alias", a)))];
}

export function normalizeAttachSpecs(spec: RunSpec): AttachSpec[] {
  const list = (spec.networks?.length ? spec.networks : ["bridge"]).map((a) => (typeof a === "string" ? { network: a } : a));
  const common = normalizeAliases(spec.aliases);
  const seen = new Set<string>();
  const out: AttachSpec[] = [];
  for (const a of list) {
    if (typeof a.network !== "string") throw new EngineError("INVALID_ARGUMENT", "each network entry needs a network name");
    if (seen.has(a.network)) throw new EngineError("INVALID_ARGUMENT", `network ${a.network} is listed twice`);
    seen.add(a.network);
    requestedAddresses(a.ip, a.ip6);
    const aliases = [...new Set([...common, ...normalizeAliases(a.aliases)])];
    out.push(aliases.length ? { ...a, aliases } : a);
  }
  return out;
}

/** maxRange: pontond --max-port-range. */
export function normalizePorts(spec: RunSpec, maxRange = DEFAULT_PORT_LIMITS.maxRange): PortMapping[] {
  if (spec.privilegedRanges !== undefined && typeof spec.privilegedRanges !== "boolean") {
    throw new EngineError("INVALID_ARGUMENT", "privilegedRanges must be true or false");
  }
  const limits: PortLimits = { maxRange, privilegedRanges: spec.privilegedRanges === true };
  const out: PortMapping[] = [];
  for (const p of spec.ports ?? []) {
    if (typeof p === "string") out.push(...parsePortSpec(p, spec.allowFrom ?? [], limits));
    else out.push(validatePortMapping(p, limits));
  }
  for (let i = 0; i < out.length; i++) {
    for (let j = i + 1; j < out.length; j++) {
      if (portsCollide(out[i]!, out[j]!)) throw new EngineError("PORT_IN_USE", `port ${formatPort(out[j]!)} is given twice`);
    }
  }
  return out;
}

/** `via` a next hop, or `type: "blackhole"` (`--route DST=blackhole`): packets to DST are discarded in the workload. */
export function normalizeRoutes(routes: StaticRoute[] | undefined): StaticRoute[] {
  return (routes ?? []).map((r) => {
    const dst = r.dst === "default" ? "default" : formatCidr(parseCidr(r.dst));
    if (r.type === "blackhole") {
      if (r.via !== undefined) throw new EngineError("INVALID_ARGUMENT", `route ${r.dst}: a blackhole route has no next hop`);
      return { dst, type: "blackhole" };
    }
    if (r.type !== undefined) throw new EngineError("INVALID_ARGUMENT", `route ${r.dst}: unknown route type '${String(r.type)}'`, { hint: "give a next hop (DST=VIA) or DST=blackhole" });
    if (typeof r.via !== "string") throw new EngineError("INVALID_ARGUMENT", `route ${r.dst} has no next hop`, { hint: "write it as DST=VIA or DST=blackhole" });
    return { dst, via: canonicalIp(r.via) };
  });
}

export function normalizeCommand(command: unknown): string[] {
  if (command === undefined || command === null) return [];
  if (!Array.isArray(command) || command.some((c) => typeof c !== "string")) {
    throw new EngineError("INVALID_ARGUMENT", "command must be a list of strings");
  }
  return command as string[];
}

export function normalizeRestart(r: unknown): RestartPolicy {
  if (r === undefined) return "no";
  if (r === "no" || r === "on-failure" || r === "always") return r;
  throw new EngineError("INVALID_ARGUMENT", `unknown restart policy '${String(r)}'`, { hint: "use no, on-failure or always" });
}

/** The port a new workload wants is held by someone else? */
export function portClash(ports: PortMapping[], others: readonly Workload[]): { port: PortMapping; holder: Workload } | undefined {
  for (const w of others) {
    for (const mine of ports) {
      for (const theirs of w.ports) {
        if (portsCollide(mine, theirs)) return { port: mine, holder: w };
      }
      // An allow-list is keyed by protocol and port alone: refuse to mix it with another binding of that port.
      if (w.ports.some((t) => t.protocol === mine.protocol && t.hostPort === mine.hostPort && (t.allowFrom.length > 0 || mine.allowFrom.length > 0))) {
        return { port: mine, holder: w };
      }
    }
  }
  return undefined;
}

export function validateRunBasics(spec: RunSpec): { name: string; labels: Record<string, string> } {
  return { name: validateName("workload", spec.name), labels: validateLabels(spec.labels) };
}

/** The request's fields past its name and labels, checked in this order (run, and a template before it stores anything). */
export function normalizeRunFields(spec: RunSpec, maxPortRange?: number): {
  attachSpecs: AttachSpec[];
  ports: PortMapping[];
  routes: StaticRoute[];
  command: string[];
  restart: RestartPolicy;
  namespace: string;
  exposes: DeclaredPort[];
  etc: Pick<Workload, "hostname" | "dns" | "extraHosts">;
} {
  const dns = normalizeWorkloadDns(spec.dns);
  const extraHosts = normalizeExtraHosts(spec.extraHosts);
  return {
    attachSpecs: normalizeAttachSpecs(spec),
    ports: normalizePorts(spec, maxPortRange),
    routes: normalizeRoutes(spec.routes),
    command: normalizeCommand(spec.command),
    restart: normalizeRestart(spec.restart),
    namespace: validateNamespace(spec.namespace),
    exposes: normalizeDeclaredPorts(spec.exposes),
    etc: {
      ...(spec.hostname !== undefined ? { hostname: validateHostname(spec.hostname) } : {}),
      ...(dns ? { dns } : {}),
      ...(extraHosts.length ? { extraHosts } : {}),
    },
  };
}

export function modeOf(nets: Network[], netnsPath: string | undefined): "owned" | "host" | "path" {
  const special = nets.filter((n) => n.driver === "host" || n.driver === "null");
  if (special.length > 0 && nets.length > 1) {
    throw new EngineError("INVALID_ARGUMENT", `network ${special[0]!.name} cannot be combined with other networks`);
  }
  if (nets[0]?.driver === "host") {
    if (netnsPath) throw new EngineError("INVALID_ARGUMENT", "--netns cannot be used with the host network");
    return "host";
  }
  return netnsPath ? "path" : "owned";
}
