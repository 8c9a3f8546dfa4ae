import type { Store } from "../store";
import type { Executor, Kernel } from "../kernel";
import type { EngineConfig } from "./config";
import type { NftSync } from "./sync/nft-sync";
import type { Supervisor } from "./workloads/supervisor";
import type { PortHolder } from "../ports";
import type { ClusterGate } from "./cluster/cluster-gate";

/** What every use case works with. The engine is the only place that composes them. */
export interface EngineContext {
  config: EngineConfig;
  store: Store;
  exec: Executor;
  kernel: Kernel;
  nft: NftSync;
  supervisor: Supervisor;
  /** Keeps published host ports bound (a process that outlives pontond). */
  ports: PortHolder;
  /** Cluster mode (pontond --cluster): services and policies go through the cluster store first. */
  cluster?: ClusterGate;
}
