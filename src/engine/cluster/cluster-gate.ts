// Cluster mode, as the engine sees it (the daemon wires src/cluster to it; the engine never imports
// it). Services, policies, namespaces and templates are cluster-scope: a change is written to the cluster store first, in
// one transaction, and only then to the local store and the kernel — refused there, nothing changed.
// The other nodes' workloads are added to the state the compilers read (services, DNS, policy).
import type { Service } from "../../model/services/service";
import type { DesiredState, Namespace, PolicyRecord } from "../../model/types";
import type { Template } from "../../model/workloads/template";
import type { LbPool } from "../../model/lb/lb-pool";

export interface ClusterGate {
  /**
   * Store these services (and drop those) cluster-wide, their VIPs and NodePorts reserved in the same
   * transaction. Returns the undo, for a local apply that then fails (the cluster store is the truth).
   */
  services(put: readonly Service[], removed: readonly Service[]): Promise<Undo>;
  /** Store these policies (and drop those keys) cluster-wide; returns the undo. */
  policies(put: readonly PolicyRecord[], removed: readonly string[]): Promise<Undo>;
  /** Put (or drop: `next` undefined) a namespace cluster-wide if the cluster still holds `prev`; returns the undo. */
  namespace(name: string, next: Namespace | undefined, prev: Namespace | undefined): Promise<Undo>;
  /**
   * Put this node's template (or drop `prev`: `next` undefined) cluster-wide, with this node as its
   * owner; refused when another node owns it or has one of the name. Returns the undo.
   */
  template(next: Template | undefined, prev: Template | undefined): Promise<Undo>;
  /** Store these LoadBalancer pools (and drop those names) cluster-wide; returns the undo. */
  pools(put: readonly LbPool[], removed: readonly string[]): Promise<Undo>;
  /** The other nodes' workloads (what a namespace removal here cannot remove). */
  remoteWorkloads(): { node: string; name: string; namespace: string }[];
  /** Reserve a workload name cluster-wide for this node (NAME_IN_USE when another node runs it); the undo releases what this call reserved. */
  reserveName(name: string): Promise<Undo>;
  /** Release a removed workload's name. */
  releaseName(name: string): Promise<void>;
  /** The state with the other nodes' workloads added (what the compilers read). */
  extend(state: DesiredState): DesiredState;
}

export type Undo = () => Promise<void>;

/** A record the cluster store holds: the mirror owns it (it goes when the cluster's copy goes). */
export const clusterOwned = <T extends object>(x: T): T & { cluster: true } => ({ ...x, cluster: true });
