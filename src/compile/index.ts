export * from "./names";
export * from "./nft-plan";
export * from "./nft-compile";
export * from "./nft-render";
export * from "./nft-ops";
export * from "./links";
export * from "./neighbours";
export { policyWorld, statePolicies } from "./policy/world";
export * from "./flow-log";
