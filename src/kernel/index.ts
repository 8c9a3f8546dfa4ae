export * from "./executor";
export * from "./kernel";
