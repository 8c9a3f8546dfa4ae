// Pure: a `ponton up` YAML document -> validated declarations. Nothing is applied if this throws.
import { LIST_KINDS, parsePolicy, PolicyError, type NetworkPolicy } from "../../policy";
import { normalizeDeclaredPorts } from "../workloads/declared-ports";
import { namespaceLabels, validateNamespace } from "../namespaces";
import { validateLabels } from "../names";
import { yamlDocuments } from "./yaml-documents";
import { normalizeServiceSpec, type ServiceSpec } from "../services/service-spec";
import { servicesFromDocuments } from "../services/k8s-service";
import { BGP_POLICY_KIND, bgpPolicyFromManifest, type BgpPolicy } from "../lb/bgp-policy";
import { L2_POLICY_KIND, l2PolicyFromManifest, type L2Policy } from "../lb/l2-policy";
import { isLbPoolKind, LB_POOL_KIND, lbPoolFromManifest, type LbPool } from "../lb/lb-pool";
import { EngineError } from "../../errors";
import { validateName } from "../names";
import { checkReplicable, parseReplicas, validateTemplateName } from "../workloads/template";
import { normalizeNetworkDns, podDnsFields } from "../workloads/workload-dns";
import { dockerNetworkOptions } from "../networks/docker-network-options";
import type { HostEntry, WorkloadDns } from "../types";

export interface DeclaredNetwork {
  name: string;
  subnet?: string;
  gateway?: string;
  ipv6?: boolean;
  subnet6?: string;
  gateway6?: string;
  internal?: boolean;
  /** Workloads reach this host's own services (default: on unless internal). */
  hostAccess?: boolean;
  icc?: boolean;
  masquerade?: boolean;
  routesTo?: string[];
  labels?: Record<string, string>;
  /** Upstream DNS servers of this network's workloads (`network create --dns`). */
  dns?: string[];
  /** bridge (default), macvlan or ipvlan (model/network-options.ts). */
  driver?: string;
  /** macvlan/ipvlan: host interface, or IF.VLAN for an 802.1Q sub-interface. */
  parent?: string;
  mode?: string;
  mtu?: number;
  /** nat (default) or routed. */
  gatewayMode?: string;
  defaultRouteMetric?: number;
  /** false: no default route through this network. */
  defaultRoute?: boolean;
  /** Docker's `-o KEY=VALUE` driver options, each mapped to a field above (model/docker-network-options.ts). */
  options?: Record<string, unknown>;
}

export interface DeclaredWorkload {
  name: string;
  networks?: ({ network: string; ip?: string; ip6?: string; aliases?: string[] } | string)[];
  /** DNS names of the workload on each of its networks. */
  aliases?: string[];
  command?: string[];
  env?: Record<string, string>;
  ports?: string[];
  allowFrom?: string[];
  labels?: Record<string, string>;
  restart?: "no" | "on-failure" | "always";
  /** `via` a next hop, or `type: blackhole`. */
  routes?: { dst: string; via?: string; type?: "blackhole" }[];
  /** Policy namespace (default "default"). */
  namespace?: string;
  /** Declared container ports: `expose:`, or pod-spec style maps ({name, containerPort, protocol}) in `ports:`. */
  exposes?: unknown[];
  /** `replicas: N`: a template of this name and N workloads NAME-1…NAME-N (see model/template.ts). */
  replicas?: number;
  /** hostname, dnsPolicy/dnsConfig, hostAliases/extraHosts (model/workload-dns.ts). */
  hostname?: string;
  dns?: WorkloadDns;
  extraHosts?: HostEntry[];
}

export interface ProjectFile {
  project: string;
  networks: DeclaredNetwork[];
  workloads: DeclaredWorkload[];
  userRules: string[];
  /** `services:` — same fields as `ponton service create` (see model/service-spec.ts). */
  services?: ServiceSpec[];
  /** `namespaces: {x: {labels: {…}}}` */
  namespaces?: { name: string; labels: Record<string, string> }[];
  /** `policies:` (a list of NetworkPolicy objects) and/or NetworkPolicy documents beside the project document. */
  policies?: NetworkPolicy[];
  /** CiliumLoadBalancerIPPool documents beside the project document. */
  lbPools?: LbPool[];
  /** CiliumBGPPeeringPolicy documents beside the project document. */
  bgpPolicies?: BgpPolicy[];
  /** CiliumL2AnnouncementPolicy documents beside the project document. */
  l2Policies?: L2Policy[];
}

const NETWORK_KEYS = new Set([
  "subnet", "gateway", "ipv6", "subnet6", "gateway6", "internal", "hostAccess", "icc", "masquerade", "routesTo", "labels",
  "driver", "parent", "mode", "mtu", "gatewayMode", "defaultRouteMetric", "defaultRoute", "dns", "options",
]);
const WORKLOAD_KEYS = new Set([
  "aliases", "networks", "command", "env", "ports", "allowFrom", "labels", "restart", "routes", "namespace", "expose", "replicas",
  "hostname", "dnsPolicy", "dnsConfig", "hostAliases", "extraHosts",
]);
const POLICY_KINDS = new Set(["NetworkPolicy", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy", ...LIST_KINDS]);

function fail(path: string, message: string): never {
  throw new EngineError("INVALID_YAML", `${path}: ${message}`);
}

function asMap(v: unknown, path: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) fail(path, "expected a map");
  return v as Record<string, unknown>;
}

function checkKeys(obj: Record<string, unknown>, allowed: Set<string>, path: string): void {
  for (const k of Object.keys(obj)) if (!allowed.has(k)) fail(`${path}.${k}`, `unknown field (known: ${[...allowed].join(", ")})`);
}

function stringList(v: unknown, path: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "string") return [v];
  if (!Array.isArray(v)) fail(path, "expected a list");
  return v.map((x, i) => (typeof x === "string" || typeof x === "number" ? String(x) : fail(`${path}[${i}]`, "expected a string")));
}

/** A network's `dns:` (one address or a list), checked as `network create --dns` does; empty = the host's resolvers. */
function declaredDns(v: unknown, path: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  try {
    const servers = normalizeNetworkDns(stringList(v, path));
    return servers.length ? servers : undefined;
  } catch (e) {
    fail(path, (e as Error).message);
  }
}

function parseNetworksField(v: unknown, path: string): DeclaredWorkload["networks"] {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) {
    return v.map((x, i) => {
      if (typeof x === "string") return x;
      const m = asMap(x, `${path}[${i}]`);
      if (typeof m.network !== "string") fail(`${path}[${i}].network`, "expected a network name");
      return { network: m.network, ...attachOptions(m, `${path}[${i}]`) };
    });
  }
  // Compose style: { net-a: { ip: … }, net-b: {} }
  return Object.entries(asMap(v, path)).map(([network, opts]) => {
    return { network, ...attachOptions(asMap(opts, `${path}.${network}`), `${path}.${network}`) };
  });
}

/** ip, ip6 and aliases of one network entry. */
function attachOptions(m: Record<string, unknown>, path: string): { ip?: string; ip6?: string; aliases?: string[] } {
  const aliases = stringList(m.aliases, `${path}.aliases`);
  return { ...(m.ip ? { ip: String(m.ip) } : {}), ...(m.ip6 ? { ip6: String(m.ip6) } : {}), ...(aliases ? { aliases } : {}) };
}

/** Kubernetes NetworkPolicy and Cilium policy objects, validated as `ponton policy apply` does. */
function parsePolicyList(raw: unknown[], path: string): NetworkPolicy[] {
  const out: NetworkPolicy[] = [];
  raw.forEach((v, i) => {
    const m = v as Record<string, unknown> | null;
    if (m && typeof m === "object" && LIST_KINDS.has(String(m.kind))) {
      out.push(...parsePolicyList(Array.isArray(m.items) ? m.items : [], `${path}[${i}].items`));
      return;
    }
    try {
      out.push(parsePolicy(v));
    } catch (e) {
      if (e instanceof PolicyError) throw new EngineError(e.code === "POLICY_NOT_IMPLEMENTED" ? e.code : "INVALID_YAML", `${path}[${i}]: ${e.message}`);
      throw e;
    }
  });
  return out;
}

/**
 * One project document; NetworkPolicy and v1 Service documents (or Lists of them) may sit beside it.
 * List items are sorted by kind; a kind that is neither is refused.
 */
function splitDocuments(text: string): { project: unknown; policies: unknown[]; services: unknown[]; pools: unknown[]; bgp: unknown[]; l2: unknown[] } {
  const docs = yamlDocuments(text);
  let project: unknown;
  const policies: unknown[] = [];
  const services: unknown[] = [];
  const pools: unknown[] = [];
  const bgp: unknown[] = [];
  const l2: unknown[] = [];
  const kindOf = (v: unknown) => {
    const kind = typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>).kind : undefined;
    return kind === undefined ? undefined : String(kind);
  };
  const place = (v: unknown, at: string): void => {
    const kind = kindOf(v);
    if (kind === "Service") services.push(v);
    else if (isLbPoolKind(kind)) pools.push(v);
    else if (kind === BGP_POLICY_KIND) bgp.push(v);
    else if (kind === L2_POLICY_KIND) l2.push(v);
    else if (kind === "List" || kind === "ServiceList" || kind === "NetworkPolicyList") {
      const items = (v as Record<string, unknown>).items;
      (Array.isArray(items) ? items : []).forEach((item, i) => place(item, `${at}.items[${i}]`));
    } else if (kind !== undefined && POLICY_KINDS.has(kind)) policies.push(v);
    else throw new EngineError("INVALID_YAML", `${at}: kind '${kind}' is not supported beside a project (NetworkPolicy, v1 Service, ${LB_POOL_KIND}, ${BGP_POLICY_KIND} or ${L2_POLICY_KIND})`);
  };
  docs.forEach((v, i) => {
    if (v === null || v === undefined) return;
    if (kindOf(v) !== undefined) place(v, `documents[${i}]`);
    else if (project === undefined) project = v;
    else throw new EngineError("INVALID_YAML", "a file holds one project document (other documents must be NetworkPolicies or Services)");
  });
  return { project, policies, services, pools, bgp, l2 };
}

export function parseProjectFile(text: string, defaultProject: string): ProjectFile {
  const split = splitDocuments(text);
  const doc = split.project;
  const top = asMap(doc, "file");
  checkKeys(top, new Set(["name", "networks", "workloads", "firewall", "services", "namespaces", "policies"]), "file");
  const project = validateName("project", top.name ?? defaultProject);

  const networks = Object.entries(asMap(top.networks, "networks")).map(([name, raw]) => {
    const m = asMap(raw, `networks.${name}`);
    checkKeys(m, NETWORK_KEYS, `networks.${name}`);
    validateName("network", name);
    if (m.hostAccess !== undefined && typeof m.hostAccess !== "boolean") fail(`networks.${name}.hostAccess`, "expected true or false");
    const dns = declaredDns(m.dns, `networks.${name}.dns`);
    const { dns: _raw, options, ...given } = m;
    // Docker's driver options (Compose's driver_opts) become the fields they stand for, so a changed one is a changed network.
    let rest: Record<string, unknown> = given;
    try {
      if (options !== undefined) rest = { ...given, ...dockerNetworkOptions(asMap(options, `networks.${name}.options`), given.driver as string | undefined, given) };
    } catch (e) {
      fail(`networks.${name}.options`, (e as Error).message);
    }
    return { name, ...rest, ...(m.routesTo !== undefined ? { routesTo: stringList(m.routesTo, `networks.${name}.routesTo`) } : {}), ...(dns ? { dns } : {}) } as DeclaredNetwork;
  });

  const workloads = Object.entries(asMap(top.workloads, "workloads")).map(([name, raw]) => {
    const m = asMap(raw, `workloads.${name}`);
    checkKeys(m, WORKLOAD_KEYS, `workloads.${name}`);
    validateName("workload", name);
    const command = typeof m.command === "string" ? ["sh", "-c", m.command] : stringList(m.command, `workloads.${name}.command`);
    const w: DeclaredWorkload = { name };
    const nets = parseNetworksField(m.networks, `workloads.${name}.networks`);
    if (nets) w.networks = nets;
    if (command) w.command = command;
    if (m.env !== undefined) w.env = Object.fromEntries(Object.entries(asMap(m.env, `workloads.${name}.env`)).map(([k, v]) => [k, String(v)]));
    // Pod-spec style entries ({name, containerPort, protocol}) declare ports; strings publish them.
    const rawPorts = Array.isArray(m.ports) ? m.ports : m.ports === undefined ? undefined : [m.ports];
    const declared = (rawPorts ?? []).filter((p) => p && typeof p === "object");
    const ports = stringList(rawPorts?.filter((p) => !(p && typeof p === "object")), `workloads.${name}.ports`);
    // Declarations as before for files without pod-style entries (a changed text would recreate the workload).
    if (ports && (ports.length > 0 || declared.length === 0)) w.ports = ports;
    const exposes = [...(m.expose === undefined ? [] : Array.isArray(m.expose) ? m.expose : [m.expose]), ...declared];
    if (exposes.length) {
      try {
        normalizeDeclaredPorts(exposes);
      } catch (e) {
        fail(`workloads.${name}.expose`, (e as Error).message);
      }
      w.exposes = exposes;
    }
    if (m.namespace !== undefined) w.namespace = validateNamespace(m.namespace);
    const aliases = stringList(m.aliases, `workloads.${name}.aliases`);
    if (aliases) w.aliases = aliases;
    const allowFrom = stringList(m.allowFrom, `workloads.${name}.allowFrom`);
    if (allowFrom) w.allowFrom = allowFrom;
    if (m.labels !== undefined) w.labels = asMap(m.labels, `workloads.${name}.labels`) as Record<string, string>;
    if (m.restart !== undefined) w.restart = m.restart as DeclaredWorkload["restart"];
    if (m.routes !== undefined) {
      if (!Array.isArray(m.routes)) fail(`workloads.${name}.routes`, "expected a list of {dst, via}");
      w.routes = m.routes.map((r, i) => {
        const rm = asMap(r, `workloads.${name}.routes[${i}]`);
        if (rm.type !== undefined) {
          if (rm.type !== "blackhole" || rm.via !== undefined) fail(`workloads.${name}.routes[${i}]`, "type may only be blackhole, without via");
          return { dst: String(rm.dst), type: "blackhole" as const };
        }
        return { dst: String(rm.dst), via: String(rm.via) };
      });
    }
    try {
      Object.assign(w, podDnsFields(m));
    } catch (e) {
      fail(`workloads.${name}`, (e as Error).message);
    }
    if (m.replicas !== undefined) {
      try {
        validateTemplateName(name);
        w.replicas = parseReplicas(m.replicas);
        checkReplicable(name, w, w.replicas);
      } catch (e) {
        fail(`workloads.${name}.replicas`, (e as Error).message);
      }
    }
    return w;
  });

  const firewall = asMap(top.firewall, "firewall");
  checkKeys(firewall, new Set(["user"]), "firewall");
  const services = [...parseServices(top.services, project), ...manifestServices(split.services, project)];
  const refs = services.map((x) => `${x.namespace ?? "default"}/${x.name}`);
  const dup = refs.find((r, i) => refs.indexOf(r) !== i);
  if (dup) fail("services", `service ${dup} is declared twice`);
  const namespaces = Object.entries(asMap(top.namespaces, "namespaces")).map(([name, raw]) => {
    const m = asMap(raw, `namespaces.${name}`);
    checkKeys(m, new Set(["labels"]), `namespaces.${name}`);
    const ns = validateNamespace(name);
    const labels = validateLabels(m.labels);
    namespaceLabels(ns, labels); // refuses a kubernetes.io/metadata.name other than its name
    return { name: ns, labels };
  });
  if (top.policies !== undefined && !Array.isArray(top.policies)) fail("policies", "expected a list of NetworkPolicy objects");
  const lbPools = split.pools.map((d, i) => lbPoolFromManifest(d, `documents[${i}]`));
  const dupPool = lbPools.find((p, i) => lbPools.findIndex((q) => q.name === p.name) !== i);
  if (dupPool) fail("documents", `pool ${dupPool.name} is declared twice`);
  const bgpPolicies = split.bgp.map((d, i) => bgpPolicyFromManifest(d, `documents[${i}]`));
  const dupBgp = bgpPolicies.find((p, i) => bgpPolicies.findIndex((q) => q.name === p.name) !== i);
  if (dupBgp) fail("documents", `BGP policy ${dupBgp.name} is declared twice`);
  const l2Policies = split.l2.map((d, i) => l2PolicyFromManifest(d, `documents[${i}]`));
  const dupL2 = l2Policies.find((p, i) => l2Policies.findIndex((q) => q.name === p.name) !== i);
  if (dupL2) fail("documents", `L2 policy ${dupL2.name} is declared twice`);
  const policies = [...parsePolicyList((top.policies as unknown[] | undefined) ?? [], "policies"), ...parsePolicyList(split.policies, "documents")];
  return {
    project,
    networks,
    workloads,
    userRules: stringList(firewall.user, "firewall.user") ?? [],
    ...(services.length ? { services } : {}),
    ...(namespaces.length ? { namespaces } : {}),
    ...(policies.length ? { policies } : {}),
    ...(lbPools.length ? { lbPools } : {}),
    ...(bgpPolicies.length ? { bgpPolicies } : {}),
    ...(l2Policies.length ? { l2Policies } : {}),
  };
}

const SERVICE_KEYS = new Set(["namespace", "ports", "selector", "vip", "vips", "ipFamily", "ipFamilies", "ipFamilyPolicy", "scheduler", "weights", "publish", "externalIps", "health", "healthIntervalMs", "healthRise", "healthFall", "affinity", "affinityTimeout", "headless", "externalName"]);

/** Services are validated here as the CLI's are (bad input fails the file before anything changes). */
function parseServices(raw: unknown, project: string): ServiceSpec[] {
  if (raw === undefined || raw === null) return [];
  return Object.entries(asMap(raw, "services")).map(([name, v]) => {
    const m = asMap(v, `services.${name}`);
    checkKeys(m, SERVICE_KEYS, `services.${name}`);
    const ports = m.ports === undefined ? [] : Array.isArray(m.ports) ? m.ports : [m.ports];
    const spec = { ...(m as Partial<ServiceSpec>), name, project, ports: ports.map((p) => (typeof p === "number" ? String(p) : p)) } as ServiceSpec;
    try {
      normalizeServiceSpec(spec);
    } catch (e) {
      throw new EngineError("INVALID_YAML", `services.${name}: ${(e as Error).message}`);
    }
    return spec;
  });
}

/** v1 Service documents beside the project document, checked as `ponton service apply` does. */
function manifestServices(docs: unknown[], project: string): ServiceSpec[] {
  return servicesFromDocuments(docs).map((spec) => {
    const withProject = { ...spec, project };
    try {
      normalizeServiceSpec(withProject);
    } catch (e) {
      throw new EngineError("INVALID_YAML", `Service ${spec.namespace ?? "default"}/${spec.name}: ${(e as Error).message}`);
    }
    return withProject;
  });
}
