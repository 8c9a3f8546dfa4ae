export { Cluster, type LocalSide } from "./cluster";
export { CLUSTER_NETWORK_LABEL, localRecords } from "./workloads/workload-records";
export type { Tunnel } from "./overlay/tunnels";
export { parseClusterOptions, type ClusterOptions } from "./options";
export { readTls } from "./etcd";
export { parseRoutingMode, type RoutingMode } from "./overlay/routing-mode";
export type { NodeView } from "./node-view";
export { parseL2LeaseOptions, type L2LeaseOptions } from "./l2/l2-leases";
