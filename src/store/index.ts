export type { Store } from "./store";
export { SqliteStore } from "./sqlite-store";
