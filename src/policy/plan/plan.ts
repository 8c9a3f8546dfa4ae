import type { DnsPlan } from "./fqdn-plan";
import type { PolicyIdEntry } from "./ids";
import type { L7Listener } from "./l7-compile";

// What the compiler hands to the engine: nft data (maps) and a fixed skeleton of chains.

export interface NftSet {
  name: string;
  /** "map" when `type` has a ": data" part. */
  kind: "set" | "map";
  type: string;
  flags?: string[];
  /** Dynamic sets (filled by the kernel): default element timeout and maximum size. */
  timeout?: string;
  size?: number;
  /** Sorted; each is nft element syntax ("10.0.0.2 . 10.0.0.0/24 . 6 . 80 : 0x1234abcd"). */
  elements: string[];
}

export interface NftChain {
  name: string;
  rules: string[];
}

export interface PolicyPlan {
  /** Sorted by name. */
  sets: NftSet[];
  /** In declaration order: a chain comes after the chains it jumps to. */
  chains: NftChain[];
  /** The chain the engine jumps to for new forwarded connections. */
  entryChain: string;
  /** Every decision id the sets can carry, sorted by id: the collector's lookup table. */
  ids: PolicyIdEntry[];
  /** Workload ports guarded by HTTP rules: the L7 proxy's listeners (src/l7). */
  l7: L7Listener[];
  /** Present while some policy has rules.dns or toFQDNs: what the resolver enforces per client (fqdn-plan.ts). */
  dns?: DnsPlan;
}

export interface CompileOptions {
  /** NFLOG group the drop chains log to (default 2). */
  logGroup?: number;
  /** Drop-log budget in packets per second across all drops (default 1000). */
  logRate?: number;
  /** The engine's: the drop log's `limit` with named counters around it (compile/flow-log.ts countedLimit); default a bare limit. */
  countedLimit?: (limit: string) => string;
}
