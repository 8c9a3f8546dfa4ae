// Every kernel object name Ponton creates is derived here, deterministically.
import { createHash } from "node:crypto";

/** The one nftables table we own; we never touch anyone else's. */
export const NFT_FAMILY = "inet";
export const NFT_TABLE = "ponton";
export const NFT_TABLE_REF = `${NFT_FAMILY} ${NFT_TABLE}`;

/** Linux interface names are at most 15 bytes (IFNAMSIZ - 1). */
export const IFNAME_MAX = 15;

function shortHash(text: string, hexChars: number): string {
  return createHash("sha256").update(text).digest("hex").slice(0, hexChars);
}

/** The default network's bridge keeps a friendly name, like docker0. */
export function bridgeName(networkId: string, networkName: string): string {
  if (networkName === "bridge") return "ponton0";
  return `pbr-${networkId.slice(0, 10)}`;
}

/** Host side of a workload's veth on one network: pv- + 10 hex = 13 bytes. */
export function hostVethName(workloadId: string, networkId: string): string {
  return `pv-${shortHash(`${workloadId}/${networkId}`, 10)}`;
}

/** Named network namespace of an owned workload (under /run/netns). */
export function netnsName(prefix: string, workloadName: string): string {
  return `${prefix}-${workloadName}`;
}

/** Temporary peer name while a veth is created in the host before it moves (never seen by users). */
export function peerTempName(hostIfname: string): string {
  return `pt${hostIfname.slice(2)}`;
}

/** A throwaway macvlan/ipvlan made and deleted at once to learn whether the kernel supports the driver. */
export function driverProbeName(pid: number): string {
  return `pprobe-${pid % 100000}`;
}

/** A locally administered MAC derived from the IPv4 address (as Docker does) or from a hash. */
export function macFor(ip4: string | undefined, seed: string): string {
  if (ip4) {
    return ["02", "42", ...ip4.split(".").map((o) => Number(o).toString(16).padStart(2, "0"))].join(":");
  }
  const h = shortHash(seed, 8);
  return ["02", "43", h.slice(0, 2), h.slice(2, 4), h.slice(4, 6), h.slice(6, 8)].join(":");
}

/**
 * Host side of a workload's veth on a routed network: `pr-` + 4 hex of the network id + 8 hex of
 * a hash = 15 bytes. The shared prefix lets one wildcard element (`"pr-1a2b*"`) stand for every
 * workload of the network in nft's interval sets; `salt` picks another name when two workloads'
 * hashes meet (the engine checks).
 */
export function routedVethName(workloadId: string, networkId: string, salt = 0): string {
  return `${routedIfPrefix(networkId)}${shortHash(`${workloadId}/${networkId}${salt ? `/${salt}` : ""}`, 8)}`;
}

/** What every routed host veth of a network starts with (the engine keeps it unique among routed networks). */
export function routedIfPrefix(networkId: string): string {
  return `${ROUTED_IF_PREFIX}${networkId.slice(0, 4)}`;
}

/** Every routed network's host veths start with it (nft's `iifname "pr-*"`). */
export const ROUTED_IF_PREFIX = "pr-";
