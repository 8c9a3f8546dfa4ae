export * from "./executor";
export * from "./kernel";
export { SpawnerExecutor } from "./spawner";
