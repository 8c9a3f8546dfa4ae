export { HolderClient, type PortHolder } from "./holder-client";
export { heldEntries, holdEntry } from "./held-ports";
export { HeldEntriesIndex } from "./held-entries-index";
export { describeOwners, socketOwners } from "./socket-owner";
export type { HoldEntry, HoldResult, HolderStatus } from "./holder-protocol";
