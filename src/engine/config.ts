import path from "node:path";
import { DEFAULT_POOL4, DEFAULT_POOL6, type PoolSpec } from "../ipam";
import type { ForwardOthers } from "../compile";
import type { FlowOffloadMode } from "./dataplane/flow-offload";

export interface EngineConfig {
  stateDir: string;
  /** Prefix of the named network namespaces we create (several engines can share a machine). */
  prefix: string;
  pool4: PoolSpec;
  pool6: PoolSpec;
  /** Where upstream nameservers are read from. */
  hostResolvConf: string;
  /** Where `ip netns exec` looks for per-namespace files (resolv.conf). */
  netnsEtcDir: string;
  /** Grace period between SIGTERM and SIGKILL when stopping a workload. */
  stopGraceMs: number;
  /** Embedded DNS: search domain of workload names, and the port it serves on gateway addresses (0: off). */
  dnsDomain: string;
  dnsPort: number;
  /** `options ndots:N` in workloads' resolv.conf: 5 as in Kubernetes, so `web.ns` and `web.ns.svc` try the search list (local zones) first. */
  ndots: number;
  /** Record every new connection and every logged drop (NFLOG via bin/ponton-nflog). */
  flowLog: boolean;
  /** Flow records kept in memory (a ring: the oldest go first). */
  flowBuffer: number;
  /** Traffic forwarded between interfaces Ponton does not own: dropped (default) or left alone. */
  forwardOthers: ForwardOthers;
  /** Flowtable offload of established flows: auto (where the kernel has flowtables), on (required), off. */
  flowOffload: FlowOffloadMode;
  /** Also append every flow record to <state>/logs/flows.jsonl and read the newest back at start. */
  flowJournal: boolean;
  /** Most host ports one published range may hold (pontond --max-port-range). */
  maxPortRange: number;
  /** Seconds a toFQDNs address stays allowed after its DNS TTL (pontond --fqdn-grace). */
  fqdnGraceSeconds: number;
  /** Policy changes as a delta (compile what changed, elements over netlink); off: full recompile through `nft` (pontond --policy-delta). */
  policyDelta: boolean;
  /** This node's labels (BGP policies' nodeSelector); kubernetes.io/hostname is always one. */
  nodeLabels: Record<string, string>;
}

export function defaultConfig(stateDir: string, overrides: Partial<EngineConfig> = {}): EngineConfig {
  return {
    stateDir,
    prefix: "ponton",
    pool4: DEFAULT_POOL4,
    pool6: DEFAULT_POOL6,
    hostResolvConf: "/etc/resolv.conf",
    netnsEtcDir: "/etc/netns",
    stopGraceMs: 10_000,
    dnsDomain: "ponton.internal",
    dnsPort: 53,
    ndots: 5,
    flowLog: true,
    flowBuffer: 10_000,
    flowJournal: false,
    forwardOthers: "drop",
    flowOffload: "auto",
    maxPortRange: 1000,
    fqdnGraceSeconds: 5,
    policyDelta: true,
    nodeLabels: {},
    ...overrides,
  };
}

export const storeFile = (c: EngineConfig) => path.join(c.stateDir, "ponton.db");
export const logDir = (c: EngineConfig) => path.join(c.stateDir, "logs");
export const portHolderSocket = (c: EngineConfig) => path.join(c.stateDir, "port-holder.sock");
