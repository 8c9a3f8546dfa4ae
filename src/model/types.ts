// Desired state: plain data, the only source of truth (kept in the store).
import type { Service } from "./services/service";
import type { NetworkPolicy } from "../policy/types";

export type Protocol = "tcp" | "udp";
export type RestartPolicy = "no" | "on-failure" | "always";
/** `broken`: its namespace vanished (someone deleted it) and its restart policy does not bring it back. */
export type WorkloadState = "creating" | "running" | "stopped" | "exited" | "removing" | "broken";
/** owned: a namespace we create; host: share the host's; path: a namespace someone else made (--netns). */
export type NetnsMode = "owned" | "host" | "path";

export interface Network {
  id: string;
  name: string;
  driver: NetworkDriver;
  /** Kernel bridge name (bridge driver only; "" for the others: a routed network has no bridge, see compile/routed.ts). */
  bridge: string;
  /** macvlan/ipvlan: the host interface the workloads' sub-interfaces hang from (IF or IF.VLAN). */
  parent?: string;
  /** macvlan: bridge|private|vepa|passthru; ipvlan: l2|l3. */
  mode?: string;
  /** Set when Ponton made the 802.1Q parent (`--parent IF.ID`): it is removed with the network. */
  vlanCreated?: boolean;
  /** MTU of the bridge, veths and workload interfaces (absent on records made before MTUs were kept: kernel default). */
  mtu?: number;
  /** Metric of the default routes this network gives workloads (absent: 0 for a workload's first network, 1100+join order for later ones). */
  defaultRouteMetric?: number;
  /** false: workloads get no default route from this network (`--no-default-route`). */
  defaultRoute?: boolean;
  /** nat (default): egress masquerade, ports only through the host; routed: no NAT, published container ports reachable at the workload's address. */
  gatewayMode?: GatewayMode;
  subnet4?: string;
  gateway4?: string;
  subnet6?: string;
  gateway6?: string;
  /** No route out of the host and no NAT. */
  internal: boolean;
  /**
   * Workloads reach this host's own addresses (any service listening there), beyond DNS on the
   * gateway and published ports. Undefined (records made before it existed): on unless internal.
   */
  hostAccess?: boolean;
  /** Traffic between workloads of this network (Docker's enable_icc). */
  icc: boolean;
  /** Egress masquerade for traffic leaving the host. */
  masquerade: boolean;
  /** Networks this one may exchange traffic with, routed through the host without NAT. */
  routesTo: string[];
  /** DNS servers the embedded DNS forwards its workloads' queries to, instead of the host's (`--dns`). */
  dns?: string[];
  labels: Record<string, string>;
  createdAt: string;
}

export type NetworkDriver = "bridge" | "routed" | "macvlan" | "ipvlan" | "host" | "null";
export type GatewayMode = "nat" | "routed";

/** A route inside a workload: through a next hop, or a blackhole (packets to DST are discarded). */
export interface StaticRoute {
  dst: string;
  via?: string;
  type?: "blackhole";
}

export interface PortMapping {
  /** Host address the port is bound to; undefined = every host address of that family. */
  hostIp?: string;
  hostPort: number;
  containerPort: number;
  protocol: Protocol;
  /** Source prefixes allowed to reach this port; empty = anyone. */
  allowFrom: string[];
}

export interface Workload {
  id: string;
  name: string;
  labels: Record<string, string>;
  netnsMode: NetnsMode;
  /** Namespace name under /run/netns (owned) or the path given with --netns. */
  netns: string;
  command: string[];
  env: Record<string, string>;
  restart: RestartPolicy;
  routes: StaticRoute[];
  ports: PortMapping[];
  state: WorkloadState;
  pid?: number;
  /** /proc/PID/stat start time: tells our process from a later one that reused the PID. */
  pidStart?: number;
  exitCode?: number;
  createdAt: string;
  /** Set by `ponton up`: the project that declared it, and its declaration (to see changes). */
  project?: string;
  declared?: string;
  /** Set when a CNI runtime made this workload (ADD): the attachment key the runtime uses. */
  cni?: CniOwner;
  /** Policy/DNS grouping (not the Linux netns); absent = "default". */
  namespace?: string;
  /** Declared container ports (a pod spec's `ports`), so named ports in policies resolve. */
  exposes?: DeclaredPort[];
  /** Set when a template made this workload (`run --replicas`, `scale`): recorded with the intent, so a restart never counts it twice. */
  replicaOf?: ReplicaRef;
  /** The hostname its command runs with, in a UTS namespace of its own (default: the workload name). */
  hostname?: string;
  /** Its resolv.conf, as `docker run --dns…` or a pod's dnsPolicy/dnsConfig say. */
  dns?: WorkloadDns;
  /** Extra /etc/hosts entries (`--add-host NAME:IP`, a pod's hostAliases). */
  extraHosts?: HostEntry[];
  /** Cluster mode: the node it runs on, set only on another node's workload (the compilers see those; nothing here runs them). */
  node?: string;
}

/**
 * Kubernetes' dnsPolicy: ClusterFirst (default) asks the embedded DNS (ClusterFirstWithHostNet is the
 * same for a workload with a namespace of its own; refused on the host network); Default copies the host's
 * resolvers; None writes only what `nameservers`/`search`/`options` say. Under ClusterFirst the
 * nameservers are where the embedded DNS forwards this workload's other names (Docker's --dns);
 * otherwise resolv.conf lines. Search domains come after ours, options replace ours by name.
 */
export interface WorkloadDns {
  policy?: "ClusterFirst" | "ClusterFirstWithHostNet" | "Default" | "None";
  nameservers?: string[];
  search?: string[];
  options?: string[];
}

export interface HostEntry {
  name: string;
  ip: string;
}

/** Which template a replica belongs to and its index (its name is TEMPLATE-INDEX). */
export interface ReplicaRef {
  template: string;
  index: number;
}

/** A port the workload listens on, as a pod spec declares it; not published. */
export interface DeclaredPort {
  name?: string;
  port: number;
  protocol: "TCP" | "UDP" | "SCTP";
}

export const DEFAULT_NAMESPACE = "default";

/** A policy/DNS grouping with labels (Kubernetes' Namespace object). */
export interface Namespace {
  name: string;
  labels: Record<string, string>;
  createdAt: string;
  /** Cluster mode: the record is the cluster store's (etcd), mirrored here. */
  cluster?: true;
}

/** A stored NetworkPolicy, parsed (defaults applied); `project` when `ponton up` declared it. */
export interface PolicyRecord {
  policy: NetworkPolicy;
  project?: string;
  createdAt: string;
  /** Cluster mode: the record is the cluster store's (etcd), mirrored here. */
  cluster?: true;
}

/** CNI's key for one attachment: network config name, container ID, interface name. */
export interface CniOwner {
  network: string;
  containerId: string;
  ifname: string;
}

/** A workload's interface on one network. */
export interface Attachment {
  workloadId: string;
  networkId: string;
  /** Interface name inside the workload (eth0, eth1, …). */
  ifname: string;
  /** Host-side veth name. */
  hostIfname: string;
  mac: string;
  ip4?: string;
  ip6?: string;
  /** Order in which the workload joined networks: the first non-internal one carries the default route. */
  index: number;
  /** Other names of the workload on this network only (`--alias`, Docker's network aliases). */
  aliases?: string[];
}

export interface UserRule {
  id: number;
  rule: string;
  /** The `ponton up` project that declared it, if any. */
  owner?: string;
}

export interface DesiredState {
  networks: Network[];
  workloads: readonly Workload[];
  attachments: readonly Attachment[];
  userRules: UserRule[];
  /** Load-balanced virtual IPs (see model/service.ts). */
  services?: readonly Service[];
  /** Namespaces created explicitly (a workload's namespace exists implicitly too). */
  namespaces?: Namespace[];
  policies?: readonly PolicyRecord[];
}
