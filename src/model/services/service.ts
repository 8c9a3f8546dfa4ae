// Services: a virtual IP load-balanced over the workloads its selector matches (desired state only).
import { DEFAULT_NAMESPACE, type DeclaredPort, type Protocol } from "../types";
import type { IpFamilyPolicy } from "./service-families";

export const SCHEDULERS = ["rr", "wrr", "random", "sh", "dh", "lc", "wlc", "maglev"] as const;
export type Scheduler = (typeof SCHEDULERS)[number];

export interface ServicePort {
  /** A port name (Kubernetes' ports[].name): published in DNS as _NAME._PROTO.<service> SRV. */
  name?: string;
  port: number;
  /**
   * Port on the endpoints (defaults to `port`), or the name of a port each endpoint declares
   * (`--expose NAME=PORT`, a pod's `ports[].name`), resolved per endpoint as Kubernetes does.
   */
  targetPort: number | string;
  protocol: Protocol;
  /** Host port that reaches this service port from every host address (NodePort / --publish). */
  hostPort?: number;
}

export interface HealthCheck {
  kind: "tcp" | "http";
  /** HTTP path (kind http). */
  path?: string;
  intervalMs: number;
  timeoutMs: number;
  /** Consecutive successes before an unhealthy endpoint is used again. */
  rise: number;
  /** Consecutive failures before an endpoint stops receiving new connections. */
  fall: number;
}

export interface Service {
  id: string;
  name: string;
  /** Policy namespace (as a Kubernetes Service's); absent in records made before namespaces = "default". */
  namespace?: string;
  /** The primary VIP (Kubernetes' clusterIP). Absent for headless and ExternalName services: nothing of theirs is in nftables, they are DNS only. */
  vip?: string;
  /** Every VIP, primary first, one per family (clusterIPs); absent in records made before dual stack = [vip]. */
  vips?: string[];
  /** How the families were chosen (absent in older records = SingleStack). */
  ipFamilyPolicy?: IpFamilyPolicy;
  /** Headless (Kubernetes clusterIP: None): DNS answers one A/AAAA per ready endpoint. */
  headless?: boolean;
  /** ExternalName: DNS answers a CNAME to this name. */
  externalName?: string;
  ports: ServicePort[];
  selector: Record<string, string>;
  scheduler: Scheduler;
  /** Weight per workload name for wrr/wlc (default 1; 0 = no new connections). */
  weights: Record<string, number>;
  externalIps: string[];
  /** Labels (a manifest's metadata.labels): what LoadBalancer pools select services by. */
  labels?: Record<string, string>;
  /** type LoadBalancer: what it asks for and what LB IPAM gave it (served like external IPs). */
  loadBalancer?: LoadBalancerState;
  health?: HealthCheck;
  /** Local: external traffic (NodePort, LoadBalancer, external IPs) goes to this node's endpoints only, its source
   * kept; a LoadBalancer address is announced (BGP, L2) only by a node with a ready local endpoint. Absent: Cluster. */
  externalTrafficPolicy?: "Local";
  /** Client-IP session affinity: a client keeps its endpoint for this long after its last new connection. */
  affinityTimeoutS?: number;
  createdAt: string;
  project?: string;
  /** Cluster mode: the record is the cluster store's (etcd), mirrored here; it goes when that one goes. */
  cluster?: true;
}

export interface LoadBalancerRequest {
  /** loadBalancerIP and the lbipam.cilium.io/ips annotation: exactly these addresses. */
  requested?: string[];
  /** Addresses a manifest reported before (status.loadBalancer.ingress): kept when free. */
  preferred?: string[];
  /** lbipam.cilium.io/sharing-key: services of one namespace with the same key share an address on different ports. */
  sharingKey?: string;
}

export interface LoadBalancerState extends LoadBalancerRequest {
  /** Addresses from the pools (or requested ones no pool holds); empty while pending. */
  ips: string[];
  /** Why it has no address: no pool matches, pool exhausted, requested address taken… */
  pending?: { code: string; reason: string };
}

/** Runtime facts the daemon observes and the compiler may use (kept out of the store). */
export interface ServiceRuntime {
  /** `${serviceId}/${workloadId}` of endpoints failing their health check. */
  unhealthy: ReadonlySet<string>;
  /** Established connections per endpoint IP, per service id (lc/wlc). */
  connections: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

export const EMPTY_RUNTIME: ServiceRuntime = { unhealthy: new Set(), connections: new Map() };

/** A service with a VIP (load-balanced in nftables), as opposed to headless and ExternalName ones. */
export const hasVip = (s: Service): s is Service & { vip: string } => typeof s.vip === "string";

/** The VIPs, primary first (one, or one per family for a dual-stack service). */
export const serviceVips = (s: Service): string[] => s.vips ?? (s.vip ? [s.vip] : []);

/** Addresses other than its VIPs that reach it: its external IPs and its LoadBalancer addresses. */
export const serviceExternalIps = (s: Service): string[] =>
  s.loadBalancer?.ips.length ? [...new Set([...s.externalIps, ...s.loadBalancer.ips])] : s.externalIps;

/** The addresses a service answers on: its VIPs, external IPs and LoadBalancer addresses (none without a VIP). */
export const serviceAddresses = (s: Service): string[] => (s.vip ? [...serviceVips(s), ...serviceExternalIps(s)] : []);

/** Lookup keys of what one service may hold and no other: an address with a port, a host port. */
export const addrPortKey = (ip: string, protocol: string, port: number) => `${ip}/${protocol}/${port}`;
export const hostPortKey = (protocol: string, port: number) => `${protocol}/${port}`;

/** The address-with-port and host-port keys a service holds (its VIPs are serviceVips). */
export function serviceHoldings(s: Service): { addrPorts: string[]; hostPorts: string[] } {
  return {
    addrPorts: serviceAddresses(s).flatMap((ip) => s.ports.map((p) => addrPortKey(ip, p.protocol, p.port))),
    hostPorts: s.ports.flatMap((p) => (p.hostPort === undefined ? [] : [hostPortKey(p.protocol, p.hostPort)])),
  };
}

export const serviceNamespace = (s: { namespace?: string | undefined }): string => s.namespace ?? DEFAULT_NAMESPACE;

/** Store key and sort key: "web" in the default namespace (as before namespaces), "x/web" elsewhere. */
export function serviceKey(name: string, namespace: string = DEFAULT_NAMESPACE): string {
  return namespace === DEFAULT_NAMESPACE ? name : `${namespace}/${name}`;
}

/** "web" or "web" in namespace x as "x/web": how messages name a service. */
export const serviceRef = (s: { name: string; namespace?: string | undefined }) => serviceKey(s.name, serviceNamespace(s));

export function selectorMatches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const keys = Object.keys(selector);
  return keys.length > 0 && keys.every((k) => labels[k] === selector[k]);
}

/**
 * The port a service port reaches on one endpoint: the number, or the endpoint's declared port of
 * that name and protocol. undefined: that endpoint does not declare it (it is no endpoint of that port).
 */
export function targetPortOn(p: ServicePort, exposes: readonly DeclaredPort[] | undefined): number | undefined {
  if (typeof p.targetPort === "number") return p.targetPort;
  return exposes?.find((d) => d.name === p.targetPort && d.protocol.toLowerCase() === p.protocol)?.port;
}
