export { Cluster } from "./cluster";
export { parseClusterOptions, type ClusterOptions } from "./options";
export type { NodeView } from "./node-view";
