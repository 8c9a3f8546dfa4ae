// Validation of a service request (CLI flags, API body or `ponton up` YAML) into a Service,
// before anything is stored or applied. Checks that need the store live in engine/services/services.ts.
import { EngineError } from "../../errors";
import { canonicalIp, parseIp } from "../ip";
import { checkServiceShape } from "../request-shapes";
import { checkFamilyRequest, parseIpFamilyFlag, type IpFamily, type IpFamilyPolicy } from "./service-families";
import { validateLabels, validateName, validateServiceName } from "../names";
import { validateNamespace } from "../namespaces";
import { checkKind, validateExternalName } from "./service-kind";
import { SCHEDULERS, type HealthCheck, type LoadBalancerRequest, type Scheduler, type ServicePort } from "./service";
import type { Protocol } from "../types";

export interface ServiceSpec {
  name: string;
  /** Policy namespace (default "default"): the selector matches workloads of this namespace only. */
  namespace?: string;
  /**
   * "80", "80/udp", "80:8080/tcp" (port:targetPort), "http=80/tcp" (named), "80:web" (target port
   * named on each endpoint), or objects; an object's hostPort "auto" takes a free NodePort.
   */
  ports: (string | { name?: string; port: number; targetPort?: number | string; protocol?: Protocol; hostPort?: number | "auto" })[];
  /** A label map, or "k=v" strings. */
  selector: Record<string, string> | string[];
  /** The VIP (either family), or `vips`: one per family, primary first (Kubernetes' clusterIPs). */
  vip?: string;
  vips?: string[];
  /** "ipv4", "ipv6", "dual" (IPv4 primary), "ipv6,ipv4", "prefer-dual": sets ipFamilies and ipFamilyPolicy. */
  ipFamily?: string;
  ipFamilies?: IpFamily[];
  ipFamilyPolicy?: IpFamilyPolicy;
  scheduler?: string;
  /** Per workload name, or "NAME=N" strings. */
  weights?: Record<string, number> | string[];
  /** "8000:80[/tcp]": host port 8000 on every host address reaches service port 80. */
  publish?: string[];
  externalIps?: string[];
  /** "tcp", "http:/path", or a full check. */
  health?: string | Partial<HealthCheck>;
  healthIntervalMs?: number;
  healthTimeoutMs?: number;
  healthRise?: number;
  healthFall?: number;
  affinity?: string;
  /** "3h", "10m", "90s" or seconds (default 3h, as Kubernetes). */
  affinityTimeout?: string | number;
  project?: string;
  /** No VIP: DNS answers one A/AAAA per ready endpoint (Kubernetes clusterIP: None). */
  headless?: boolean;
  /** No VIP, no endpoints: DNS answers a CNAME to this name. */
  externalName?: string;
  /** A label map, or "k=v" strings: what LoadBalancer pools select by. */
  labels?: Record<string, string> | string[];
  /** type LoadBalancer: an address from a pool (true), or what it asks for. */
  loadBalancer?: boolean | LoadBalancerRequest;
  /** Kubernetes' externalTrafficPolicy (default Cluster). */
  externalTrafficPolicy?: "Cluster" | "Local";
}

const bad = (msg: string, hint?: string) => new EngineError("INVALID_ARGUMENT", msg, hint ? { hint } : {});

function portNumber(text: string | number, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(String(text)) || n < 1 || n > 65535) throw new EngineError("INVALID_PORT", `invalid ${what} '${text}'`, { hint: "ports are 1-65535, e.g. --port 80/tcp or --port 80:8080/udp" });
  return n;
}

function protocolOf(text: string | undefined, spec: string): Protocol {
  const p = (text ?? "tcp").toLowerCase();
  if (p !== "tcp" && p !== "udp") throw new EngineError("INVALID_PORT", `unknown protocol '${p}' in '${spec}'`, { hint: "use /tcp or /udp" });
  return p;
}

const PORT_NAME = /^[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/;

function portName(name: unknown): { name?: string } {
  if (name === undefined || name === "") return {};
  if (typeof name !== "string" || !PORT_NAME.test(name)) {
    throw new EngineError("INVALID_PORT", `invalid port name '${String(name)}'`, { hint: "port names are lowercase letters, digits and '-', at most 15 (an IANA service name like http)" });
  }
  return { name };
}

// Kubernetes' IANA_SVC_NAME (at least one letter): a target port by name.
const TARGET_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;

/** A number, or the name of a port the endpoints declare (resolved on each endpoint). */
function targetPort(v: string | number): number | string {
  if (typeof v === "string" && !/^\d+$/.test(v)) {
    if (!TARGET_NAME.test(v)) throw new EngineError("INVALID_PORT", `invalid target port '${v}'`, { hint: "a target port is a number or a port name the endpoints declare (--expose NAME=PORT)" });
    return v;
  }
  return portNumber(v, "target port");
}

/** "[NAME=]PORT[:TARGET][/PROTO]" or an object; NAME is what SRV records are published under. */
export function parseServicePort(spec: ServiceSpec["ports"][number]): ServicePort & { autoHostPort?: true } {
  if (typeof spec === "object" && spec !== null) {
    const port = portNumber(spec.port, "service port");
    const host = spec.hostPort === "auto" ? { autoHostPort: true as const } : spec.hostPort !== undefined ? { hostPort: portNumber(spec.hostPort, "host port") } : {};
    return { ...portName(spec.name), port, targetPort: targetPort(spec.targetPort ?? port), protocol: protocolOf(spec.protocol, String(spec.port)), ...host };
  }
  const text = String(spec);
  const eq = text.indexOf("=");
  const named = eq >= 0 ? portName(text.slice(0, eq)) : {};
  const [ports, proto] = text.slice(eq + 1).split("/");
  const [p, t] = ports!.split(":");
  const port = portNumber(p!, "service port");
  return { ...named, port, targetPort: t === undefined ? port : targetPort(t), protocol: protocolOf(proto, text) };
}

function keyValues(v: Record<string, string | number> | string[] | undefined, what: string): Record<string, string> {
  if (v === undefined) return {};
  if (!Array.isArray(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
  const out: Record<string, string> = {};
  for (const a of v) {
    const eq = a.indexOf("=");
    if (eq <= 0) throw bad(`invalid ${what} '${a}'`, `write ${what}s as key=value`);
    out[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return out;
}

function parseHealth(spec: ServiceSpec): HealthCheck | undefined {
  if (spec.health === undefined || spec.health === "" || spec.health === "none") return undefined;
  const h = typeof spec.health === "string" ? healthFromText(spec.health) : spec.health;
  const kind = h.kind;
  if (kind !== "tcp" && kind !== "http") throw bad(`unknown health check '${String(kind)}'`, "use --health tcp or --health http:/path");
  const positive = (v: unknown, dflt: number, what: string) => {
    const n = v === undefined ? dflt : Number(v);
    if (!Number.isInteger(n) || n < 1) throw bad(`${what} must be a positive integer, not '${String(v)}'`);
    return n;
  };
  return {
    kind,
    ...(kind === "http" ? { path: h.path && h.path.startsWith("/") ? h.path : "/" } : {}),
    intervalMs: positive(spec.healthIntervalMs ?? h.intervalMs, 1000, "health interval"),
    timeoutMs: positive(spec.healthTimeoutMs ?? h.timeoutMs, 1000, "health timeout"),
    rise: positive(spec.healthRise ?? h.rise, 1, "health rise"),
    fall: positive(spec.healthFall ?? h.fall, 2, "health fall"),
  };
}

function healthFromText(text: string): Partial<HealthCheck> {
  if (text === "tcp") return { kind: "tcp" };
  if (text === "http" || text.startsWith("http:")) return { kind: "http", path: text.slice(5) || "/" };
  throw bad(`unknown health check '${text}'`, "use --health tcp or --health http:/path");
}

/** Parsed and self-consistent; VIPs not given are allocated (per family) by the engine. */
export function normalizeServiceSpec(given: ServiceSpec) {
  const spec = checkServiceShape<ServiceSpec>("service", given);
  const name = validateServiceName(spec.name);
  const namespace = validateNamespace(spec.namespace);
  const kind = checkKind(spec as unknown as Record<string, unknown>);
  const dnsOnly: { headless?: true; externalName?: string } = kind === "Headless" ? { headless: true } : kind === "ExternalName" ? { externalName: validateExternalName(spec.externalName) } : {};
  // Without a VIP there is nothing to load-balance: ports are optional (named ones give SRV records).
  if (spec.ports !== undefined && !Array.isArray(spec.ports)) throw bad(`service ${name}: ports must be a list`);
  if (kind === "ClusterIP" && (spec.ports ?? []).length === 0) throw bad(`service ${name} needs at least one --port`);
  const ports = (spec.ports ?? []).map(parseServicePort);
  if (kind !== "ClusterIP" && ports.some((p) => p.hostPort !== undefined || p.autoHostPort)) throw bad(`service ${name}: a host port (NodePort) needs a VIP; a ${kind} service has none`);
  const keys = new Set<string>();
  for (const p of ports) {
    const k = `${p.port}/${p.protocol}`;
    if (keys.has(k)) throw new EngineError("INVALID_PORT", `port ${k} is listed twice`);
    keys.add(k);
  }
  for (const pub of spec.publish ?? []) {
    const [hp, rest] = String(pub).split(":");
    if (rest === undefined) throw new EngineError("INVALID_PORT", `invalid --publish '${pub}'`, { hint: "write HOSTPORT:SERVICEPORT[/proto], e.g. 8000:80" });
    const [sp, proto] = rest.split("/");
    const target = ports.find((p) => p.port === portNumber(sp!, "service port") && p.protocol === protocolOf(proto, pub));
    if (!target) throw new EngineError("INVALID_PORT", `--publish ${pub} names no port of the service`);
    target.hostPort = portNumber(hp!, "host port");
  }
  const selector = validateLabels(keyValues(spec.selector, "selector"));
  if (Object.keys(selector).length === 0 && kind !== "ExternalName") throw bad(`service ${name} needs a --selector`, "e.g. --selector app=web");
  const scheduler = (spec.scheduler ?? "rr") as Scheduler;
  if (!SCHEDULERS.includes(scheduler)) throw bad(`unknown scheduler '${spec.scheduler}'`, `use one of ${SCHEDULERS.join(", ")}`);
  const weights: Record<string, number> = {};
  for (const [k, v] of Object.entries(keyValues(spec.weights as Record<string, string> | string[] | undefined, "weight"))) {
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw bad(`weight of ${k} must be an integer >= 0, not '${v}'`);
    weights[validateName("workload", k)] = n;
  }
  const address = (text: unknown, what: string) => {
    if (typeof text !== "string" || !parseIp(text)) throw bad(`${what} '${String(text)}' is not an IP address`, "give an IPv4 address like 10.96.0.10 or an IPv6 one like fd00:10:96::10");
    return canonicalIp(text);
  };
  if (spec.vips !== undefined && !Array.isArray(spec.vips)) throw bad("vips must be a list of addresses");
  const vips = (spec.vips ?? (spec.vip ? [spec.vip] : [])).map((v) => address(v, "VIP"));
  if (spec.vip && spec.vips && vips[0] !== address(spec.vip, "VIP")) throw bad(`vip ${spec.vip} must be the first of vips`);
  const flag = spec.ipFamily !== undefined ? parseIpFamilyFlag(spec.ipFamily) : undefined;
  const families = checkFamilyRequest(flag?.ipFamilyPolicy ?? spec.ipFamilyPolicy, flag?.ipFamilies ?? spec.ipFamilies, vips);
  const externalIps = [...new Set((spec.externalIps ?? []).map((x) => address(x, "external IP")))];
  let affinityTimeoutS: number | undefined;
  if (spec.affinity !== undefined && spec.affinity !== "none" && spec.affinity !== "None") {
    if (spec.affinity !== "client-ip" && spec.affinity !== "ClientIP") throw bad(`unknown affinity '${spec.affinity}'`, "use --affinity client-ip or none");
    affinityTimeoutS = parseDuration(spec.affinityTimeout ?? "3h");
  }
  const health = parseHealth(spec);
  const etp = spec.externalTrafficPolicy;
  if (etp !== undefined && etp !== "Cluster" && etp !== "Local") throw bad(`externalTrafficPolicy is Cluster or Local, not '${String(etp)}'`);
  const labels = validateLabels(keyValues(spec.labels, "label"));
  const loadBalancer = parseLoadBalancer(spec.loadBalancer, address);
  // As Kubernetes: the policy is about traffic from outside, so a service only reachable inside has none.
  if (etp === "Local" && !loadBalancer && !externalIps.length && !ports.some((p) => p.hostPort !== undefined || p.autoHostPort)) {
    throw bad(`service ${name}: externalTrafficPolicy Local needs a NodePort (--publish), a LoadBalancer address or an external IP`);
  }
  return {
    name, namespace, kind, ...dnsOnly, ports, selector, scheduler, weights, families, externalIps,
    ...(Object.keys(labels).length ? { labels } : {}),
    ...(loadBalancer ? { loadBalancer } : {}),
    ...(health ? { health } : {}), ...(affinityTimeoutS ? { affinityTimeoutS } : {}),
    ...(etp === "Local" ? { externalTrafficPolicy: "Local" as const } : {}),
  };
}

/** true or a request: addresses canonical, the sharing key a non-empty string. */
function parseLoadBalancer(v: ServiceSpec["loadBalancer"], address: (text: unknown, what: string) => string): LoadBalancerRequest | undefined {
  if (v === undefined || v === false) return undefined;
  if (v === true) return {};
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw bad("loadBalancer must be true or a map of requested, preferred, sharingKey");
  for (const k of Object.keys(v)) if (!["requested", "preferred", "sharingKey"].includes(k)) throw bad(`loadBalancer.${k}: unknown field`);
  const ips = (x: unknown, what: string) => {
    if (x !== undefined && !Array.isArray(x)) throw bad(`loadBalancer.${what} must be a list of addresses`);
    return [...new Set((x ?? []).map((a: unknown) => address(a, `load-balancer address`)))];
  };
  const requested = ips(v.requested, "requested");
  const preferred = ips(v.preferred, "preferred");
  if (v.sharingKey !== undefined && (typeof v.sharingKey !== "string" || v.sharingKey === "")) throw bad("loadBalancer.sharingKey must be a non-empty string");
  return { ...(requested.length ? { requested } : {}), ...(preferred.length ? { preferred } : {}), ...(v.sharingKey ? { sharingKey: v.sharingKey } : {}) };
}

function parseDuration(v: string | number): number {
  const m = /^(\d+)(s|m|h)?$/.exec(String(v).trim());
  const n = m ? Number(m[1]) * (m[2] === "h" ? 3600 : m[2] === "m" ? 60 : 1) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 86400 * 365) throw bad(`invalid affinity timeout '${v}'`, "write it like 3h, 10m or 90s");
  return n;
}
