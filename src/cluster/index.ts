export { Cluster, type LocalSide } from "./cluster";
export { CLUSTER_NETWORK_LABEL, localRecords } from "./workload-records";
export type { Tunnel } from "./tunnels";
export { parseClusterOptions, type ClusterOptions } from "./options";
export type { NodeView } from "./node-view";
