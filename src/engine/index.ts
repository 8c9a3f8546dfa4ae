export { Engine } from "./engine";
export { defaultConfig, type EngineConfig } from "./config";
export type { NetworkSpec } from "./networks/networks";
export { FLOW_OFFLOAD_MODES, type FlowOffloadMode } from "./dataplane/flow-offload";
export type { RunSpec, AttachSpec } from "../model/workloads/workload-spec";
