export { Engine } from "./engine";
export { defaultConfig, type EngineConfig } from "./config";
export type { NetworkSpec } from "./networks";
export type { RunSpec, AttachSpec } from "../model/workloads/workload-spec";
