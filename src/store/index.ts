export type { Store } from "./store";
export { SqliteStore } from "./sqlite-store";
export type { ServiceLookups } from "./service-index";
