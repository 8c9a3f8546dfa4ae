// The store port: desired state in, desired state out. SQLite is the default; etcd may follow.
import type { Service } from "../model/services/service";
import type { ServiceLookups } from "./service-index";
import type { Template } from "../model/workloads/template";
import type { LbPool } from "../model/lb/lb-pool";
import type { BgpPolicy } from "../model/lb/bgp-policy";
import type { L2Policy } from "../model/lb/l2-policy";
import type { Attachment, DesiredState, Namespace, Network, PolicyRecord, UserRule, Workload } from "../model/types";

export interface Store {
  transaction<T>(fn: () => T): T;
  state(): DesiredState;

  /** Facts about the host we changed, kept across restarts (e.g. "Ponton turned ip_forward on"). */
  hostFlag(name: string): boolean;
  setHostFlag(name: string, on: boolean): void;

  networks(): Network[];
  network(name: string): Network | undefined;
  networkById(id: string): Network | undefined;
  putNetwork(n: Network): void;
  deleteNetwork(id: string): void;

  workloads(): readonly Workload[];
  workload(name: string): Workload | undefined;
  putWorkload(w: Workload): void;
  deleteWorkload(id: string): void;

  attachments(): readonly Attachment[];
  attachmentsOf(workloadId: string): Attachment[];
  attachmentsOn(networkId: string): Attachment[];
  putAttachment(a: Attachment): void;
  deleteAttachment(workloadId: string, networkId: string): void;

  /** Last address a workload name held on a network, for sticky re-allocation. */
  sticky(networkId: string, name: string, family: 4 | 6): string | undefined;
  /** Addresses remembered for other names (avoided while other addresses are free). */
  stickyAddresses(networkId: string): Map<string, string>;
  /** The names remembering this address (one indexed lookup: allocation asks only of the free address it found). */
  stickyNames(networkId: string, ip: string): string[];
  setSticky(networkId: string, name: string, family: 4 | 6, ip: string): void;

  userRules(): UserRule[];
  addUserRule(rule: string, position?: number, owner?: string): UserRule;
  deleteUserRule(id: number): boolean;

  services(): readonly Service[];
  /** By name in a namespace (default "default"). */
  service(name: string, namespace?: string): Service | undefined;
  /** Who holds a VIP, an address and port, a host port: lookups, not scans (validation, VIP allocation). */
  serviceLookups(): ServiceLookups;
  putService(s: Service): void;
  deleteService(id: string): void;

  namespaces(): Namespace[];
  namespace(name: string): Namespace | undefined;
  putNamespace(n: Namespace): void;
  deleteNamespace(name: string): void;

  policies(): readonly PolicyRecord[];
  putPolicy(p: PolicyRecord): void;
  /** key: "namespace/name"; false when there was none. */
  deletePolicy(key: string): boolean;

  /** Workload templates (`run --replicas`); their replicas are ordinary workloads. */
  templates(): Template[];
  template(name: string): Template | undefined;
  putTemplate(t: Template): void;
  deleteTemplate(name: string): void;

  /** LoadBalancer IP pools (CiliumLoadBalancerIPPool), by name. */
  lbPools(): LbPool[];
  putLbPool(p: LbPool): void;
  /** false when there was none. */
  deleteLbPool(name: string): boolean;

  /** CiliumBGPPeeringPolicies, by name. */
  bgpPolicies(): BgpPolicy[];
  putBgpPolicy(p: BgpPolicy): void;
  deleteBgpPolicy(name: string): boolean;

  /** CiliumL2AnnouncementPolicies, by name. */
  l2Policies(): L2Policy[];
  putL2Policy(p: L2Policy): void;
  deleteL2Policy(name: string): boolean;

  close(): void;
}
