// Pure: Kubernetes `v1 Service` objects, unchanged, into service specs. Every field that would
// change behaviour is either mapped or refused (INVALID_YAML naming the field); fields that change
// nothing here (labels, annotations, uid, appProtocol, status conditions…) are ignored.
import { yamlDocuments } from "../project/yaml-documents";
import { EngineError } from "../../errors";
import type { LoadBalancerRequest } from "./service";
import type { ServiceSpec } from "./service-spec";
import { IP_FAMILY_POLICIES, type IpFamily, type IpFamilyPolicy } from "./service-families";

type Obj = Record<string, unknown>;

const SERVICE_LIST_KINDS = new Set(["List", "ServiceList"]);
const SPEC_KEYS = new Set([
  "selector", "ports", "type", "clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "externalIPs", "sessionAffinity",
  "sessionAffinityConfig", "externalName", "loadBalancerIP", "allocateLoadBalancerNodePorts", "externalTrafficPolicy",
  "internalTrafficPolicy", "publishNotReadyAddresses", "loadBalancerSourceRanges", "loadBalancerClass", "healthCheckNodePort",
  "trafficDistribution",
]);
const PORT_KEYS = new Set(["name", "port", "targetPort", "protocol", "nodePort", "appProtocol"]);
const TYPES = new Set(["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]);
/** Fields we know and cannot honour unless they hold their default: [field, allowed values, why]. */
const DEFAULT_ONLY: [string, unknown[], string][] = [
  ["internalTrafficPolicy", ["Cluster"], "only Cluster is implemented"],
  ["publishNotReadyAddresses", [false], "headless answers list ready endpoints only"],
  ["loadBalancerClass", [], "another load-balancer implementation owns such services"],
  ["healthCheckNodePort", [], "it exists only with externalTrafficPolicy: Local"],
  ["trafficDistribution", [], "topology-aware routing is not implemented"],
];

export class ManifestError extends EngineError {
  constructor(path: string, message: string) {
    super("INVALID_YAML", `${path}: ${message}`);
  }
}

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function map(v: unknown, path: string): Obj {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw new ManifestError(path, "expected a map");
  return v;
}

function list(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ManifestError(path, "expected a list");
  return v;
}

const strings = (v: unknown, path: string) => list(v, path).map((x, i) => (typeof x === "string" ? x : fail(`${path}[${i}]`, "expected a string")));
const fail = (path: string, message: string): never => {
  throw new ManifestError(path, message);
};

/** Is this parsed document a Service (or a List holding Services)? */
export const isServiceKind = (kind: unknown) => kind === "Service";

/** One `v1 Service` object into a spec. `at` names it in errors (e.g. "documents[2]"). */
export function serviceFromManifest(doc: unknown, at: string): ServiceSpec {
  const m = map(doc, at);
  if (m.kind !== "Service") fail(`${at}.kind`, `expected Service, not '${String(m.kind)}'`);
  if (m.apiVersion !== "v1") fail(`${at}.apiVersion`, `expected v1, not '${String(m.apiVersion)}'`);
  const meta = map(m.metadata, `${at}.metadata`);
  if (typeof meta.name !== "string" || meta.name === "") fail(`${at}.metadata.name`, "required");
  const name = meta.name as string;
  const namespace = meta.namespace === undefined ? undefined : String(meta.namespace);
  const path = `Service ${namespace ?? "default"}/${name}`;
  const spec = map(m.spec, `${path}: spec`);
  for (const k of Object.keys(spec)) if (!SPEC_KEYS.has(k)) fail(`${path}: spec.${k}`, "unknown field");
  for (const [k, allowed, why] of DEFAULT_ONLY) {
    if (spec[k] !== undefined && spec[k] !== null && !allowed.includes(spec[k])) fail(`${path}: spec.${k}`, `'${String(spec[k])}' is not supported: ${why}`);
  }
  const type = spec.type === undefined ? "ClusterIP" : String(spec.type);
  if (!TYPES.has(type)) fail(`${path}: spec.type`, `unknown type '${type}' (ClusterIP, NodePort, LoadBalancer or ExternalName)`);
  const families = strings(spec.ipFamilies, `${path}: spec.ipFamilies`);
  families.forEach((f, i) => f !== "IPv4" && f !== "IPv6" && fail(`${path}: spec.ipFamilies[${i}]`, `unknown family '${f}' (IPv4 or IPv6)`));
  const policy = spec.ipFamilyPolicy ?? undefined;
  if (policy !== undefined && !IP_FAMILY_POLICIES.includes(policy as IpFamilyPolicy)) fail(`${path}: spec.ipFamilyPolicy`, `unknown '${String(policy)}' (${IP_FAMILY_POLICIES.join(", ")})`);
  const sourceRanges = strings(spec.loadBalancerSourceRanges, `${path}: spec.loadBalancerSourceRanges`);
  if (sourceRanges.length) fail(`${path}: spec.loadBalancerSourceRanges`, "not supported: restrict clients with the user hook (ponton firewall)");

  const out: ServiceSpec = { name, ...(namespace !== undefined ? { namespace } : {}), ports: [], selector: {} };
  if (type === "ExternalName") {
    if (typeof spec.externalName !== "string" || spec.externalName === "") fail(`${path}: spec.externalName`, "required for type ExternalName");
    // A selector, ports or cluster IP of an ExternalName service are unused in Kubernetes too.
    return { ...out, externalName: spec.externalName as string };
  }
  if (spec.externalName !== undefined) fail(`${path}: spec.externalName`, `only meaningful with type ExternalName, not ${type}`);
  out.selector = Object.fromEntries(Object.entries(map(spec.selector, `${path}: spec.selector`)).map(([k, v]) => [k, String(v)]));
  if (Object.keys(out.selector as Obj).length === 0) fail(`${path}: spec.selector`, "required: Ponton has no manually managed Endpoints");

  const clusterIP = spec.clusterIP === undefined || spec.clusterIP === null ? "" : String(spec.clusterIP);
  const clusterIPs = strings(spec.clusterIPs, `${path}: spec.clusterIPs`);
  if (clusterIPs.length > 2) fail(`${path}: spec.clusterIPs`, "at most two (one per IP family)");
  if (clusterIPs.length >= 1 && clusterIP !== "" && clusterIPs[0] !== clusterIP) fail(`${path}: spec.clusterIPs`, "must start with spec.clusterIP");
  const ip = clusterIP || clusterIPs[0] || "";
  const headless = ip === "None";
  if (headless && type !== "ClusterIP") fail(`${path}: spec.clusterIP`, `None (headless) is only valid with type ClusterIP, not ${type}`);
  if (headless) out.headless = true;
  else {
    // Checked against each other, the ranges and the daemon's families when the service is built.
    if (clusterIPs.length === 2) out.vips = clusterIPs;
    else if (ip) out.vip = ip;
    if (families.length) out.ipFamilies = families as IpFamily[];
    if (policy !== undefined) out.ipFamilyPolicy = policy as IpFamilyPolicy;
  }

  const nodePorts = type === "NodePort" || (type === "LoadBalancer" && spec.allocateLoadBalancerNodePorts !== false);
  out.ports = list(spec.ports, `${path}: spec.ports`).map((raw, i) => {
    const at = `${path}: spec.ports[${i}]`;
    const p = map(raw, at);
    for (const k of Object.keys(p)) if (!PORT_KEYS.has(k)) fail(`${at}.${k}`, "unknown field");
    const protocol = String(p.protocol ?? "TCP");
    if (protocol !== "TCP" && protocol !== "UDP") fail(`${at}.protocol`, `${protocol} is not supported (TCP or UDP)`);
    if (p.nodePort !== undefined && !nodePorts) fail(`${at}.nodePort`, `only meaningful with type NodePort or LoadBalancer, not ${type}`);
    if (typeof p.port !== "number") fail(`${at}.port`, "required, a number");
    const target = p.targetPort;
    if (target !== undefined && typeof target !== "number" && typeof target !== "string") fail(`${at}.targetPort`, "a number or a port name");
    return {
      ...(p.name !== undefined ? { name: String(p.name) } : {}),
      port: p.port as number,
      ...(target !== undefined ? { targetPort: target as number | string } : {}),
      protocol: protocol.toLowerCase() as "tcp" | "udp",
      ...(nodePorts ? { hostPort: typeof p.nodePort === "number" ? p.nodePort : ("auto" as const) } : {}),
    };
  });
  if (!headless && out.ports.length === 0) fail(`${path}: spec.ports`, "a service with a cluster IP needs at least one port");

  const external = strings(spec.externalIPs, `${path}: spec.externalIPs`);
  if (external.length) out.externalIps = [...new Set(external)];
  const etp = spec.externalTrafficPolicy ?? "Cluster";
  if (etp !== "Cluster" && etp !== "Local") fail(`${path}: spec.externalTrafficPolicy`, `unknown '${String(etp)}' (Cluster or Local)`);
  if (etp === "Local" && !nodePorts && type !== "LoadBalancer" && !external.length) fail(`${path}: spec.externalTrafficPolicy`, `Local is only meaningful with type NodePort or LoadBalancer, or external IPs, not ${type}`);
  if (etp === "Local") out.externalTrafficPolicy = "Local";
  const labels = map(meta.labels, `${path}: metadata.labels`);
  if (Object.keys(labels).length) out.labels = Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)]));
  const annotations = map(meta.annotations, `${path}: metadata.annotations`);
  if (type === "LoadBalancer") out.loadBalancer = loadBalancerRequest(m, spec, annotations, path);
  else {
    if (spec.loadBalancerIP !== undefined) fail(`${path}: spec.loadBalancerIP`, `only meaningful with type LoadBalancer, not ${type}`);
    const lbKey = Object.keys(annotations).find((k) => LB_ANNOTATIONS.has(k));
    if (lbKey) fail(`${path}: metadata.annotations.${lbKey}`, `only meaningful with type LoadBalancer, not ${type}`);
  }

  const affinity = spec.sessionAffinity === undefined ? "None" : String(spec.sessionAffinity);
  if (affinity !== "None" && affinity !== "ClientIP") fail(`${path}: spec.sessionAffinity`, `unknown '${affinity}' (None or ClientIP)`);
  const timeout = map(map(spec.sessionAffinityConfig, `${path}: spec.sessionAffinityConfig`).clientIP, `${path}: spec.sessionAffinityConfig.clientIP`).timeoutSeconds;
  if (affinity === "ClientIP") {
    out.affinity = "client-ip";
    if (timeout !== undefined) out.affinityTimeout = Number(timeout);
  }
  return out;
}

/** Cilium's LB IPAM annotations (and their older io.cilium names). */
const IPS_ANNOTATIONS = ["lbipam.cilium.io/ips", "io.cilium/lb-ipam-ips"];
const SHARING_ANNOTATIONS = ["lbipam.cilium.io/sharing-key", "io.cilium/lb-ipam-sharing-key"];
const CROSS_NAMESPACE = ["lbipam.cilium.io/sharing-cross-namespace", "io.cilium/lb-ipam-sharing-cross-namespace"];
const LB_ANNOTATIONS = new Set([...IPS_ANNOTATIONS, ...SHARING_ANNOTATIONS, ...CROSS_NAMESPACE]);

/** What a LoadBalancer service asks of LB IPAM: requested addresses, the ones it reported, a sharing key. */
function loadBalancerRequest(m: Obj, spec: Obj, annotations: Obj, path: string): LoadBalancerRequest {
  const cross = CROSS_NAMESPACE.find((k) => annotations[k] !== undefined);
  if (cross) fail(`${path}: metadata.annotations.${cross}`, "not supported: an address is shared within one namespace only");
  const requested: string[] = [];
  if (typeof spec.loadBalancerIP === "string" && spec.loadBalancerIP) requested.push(spec.loadBalancerIP);
  for (const k of IPS_ANNOTATIONS) {
    if (annotations[k] !== undefined) requested.push(...String(annotations[k]).split(",").map((x) => x.trim()).filter(Boolean));
  }
  // status is output, but a manifest exported from a cluster carries it: those addresses are kept when free.
  const preferred: string[] = [];
  const ingress = list(map(map(m.status, `${path}: status`).loadBalancer, `${path}: status.loadBalancer`).ingress, `${path}: status.loadBalancer.ingress`);
  for (const [i, g] of ingress.entries()) {
    const gip = map(g, `${path}: status.loadBalancer.ingress[${i}]`).ip;
    if (typeof gip === "string" && gip) preferred.push(gip);
  }
  const key = SHARING_ANNOTATIONS.map((k) => annotations[k]).find((v) => v !== undefined);
  return {
    ...(requested.length ? { requested: [...new Set(requested)] } : {}),
    ...(preferred.length ? { preferred } : {}),
    ...(key !== undefined ? { sharingKey: String(key) } : {}),
  };
}

/** The Service objects of parsed documents: each a Service or a List of Services. */
export function servicesFromDocuments(docs: unknown[], at = "documents"): ServiceSpec[] {
  const out: ServiceSpec[] = [];
  docs.forEach((d, i) => {
    const m = isObj(d) ? d : {};
    if (SERVICE_LIST_KINDS.has(String(m.kind))) list(m.items, `${at}[${i}].items`).forEach((item, j) => out.push(serviceFromManifest(item, `${at}[${i}].items[${j}]`)));
    else out.push(serviceFromManifest(d, `${at}[${i}]`));
  });
  return out;
}

/** `ponton service apply -f FILE`: YAML or JSON, several documents or a List. */
export function parseServiceManifests(text: string): ServiceSpec[] {
  const docs = yamlDocuments(text).filter((v) => v !== null && v !== undefined);
  if (docs.length === 0) throw new EngineError("INVALID_YAML", "no Service document in the file");
  return servicesFromDocuments(docs);
}
