export type { Store } from "./store";
export { SqliteStore } from "./sqlite-store";
export type { ServiceHolders } from "./service-index";
