export { Engine } from "./engine";
export { defaultConfig, type EngineConfig } from "./config";
export type { NetworkSpec } from "./networks/networks";
export type { RunSpec, AttachSpec } from "../model/workloads/workload-spec";
