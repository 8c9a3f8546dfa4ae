// Cluster-pool IPAM arithmetic (pure): a cluster network is cut into per-node blocks of --node-mask.
import { EngineError } from "../../errors";
import { cidrSize, formatCidr, parseCidr } from "../../model/ip";
import { validateName } from "../../model/names";

export interface ClusterNetwork {
  name: string;
  /** The IPv4 range (absent: an IPv6-only network). */
  subnet?: string;
  nodeMask?: number;
  /** Dual stack: the IPv6 range, cut into blocks of nodeMask6 (a node takes one of each family). */
  subnet6?: string;
  nodeMask6?: number;
}

/** One family's range of a cluster network and the length of its per-node blocks. */
export interface BlockRange {
  subnet: string;
  mask: number;
}

export interface ClusterNetworkSpec {
  name?: unknown;
  subnet?: unknown;
  nodeMask?: unknown;
  ipv6?: unknown;
  subnet6?: unknown;
  nodeMask6?: unknown;
}

function nodeMaskOf(name: string, flag: string, given: unknown, prefix: number, def: number, max: number): number {
  const mask = given === undefined ? def : Number(given);
  if (!Number.isInteger(mask) || mask <= prefix || mask > max) {
    throw new EngineError("INVALID_ARGUMENT", `network create ${name}: ${flag} must be longer than /${prefix} and at most /${max}, not '${String(given ?? def)}'`);
  }
  return mask;
}

export function validateClusterNetwork(spec: ClusterNetworkSpec): ClusterNetwork {
  const name = validateName("network", spec.name);
  if (spec.subnet === undefined && spec.subnet6 === undefined) throw new EngineError("INVALID_ARGUMENT", `network create ${name} --scope cluster: --subnet (or --ipv6 --subnet6 for an IPv6-only network) is required`);
  let n: ClusterNetwork = { name };
  if (spec.subnet !== undefined) {
    if (typeof spec.subnet !== "string") throw new EngineError("INVALID_ARGUMENT", `network create ${name}: --subnet must be a CIDR`);
    const c = parseCidr(spec.subnet);
    if (c.family !== 4) throw new EngineError("INVALID_ARGUMENT", `network create ${name}: --subnet of a cluster network is IPv4, not '${spec.subnet}' (IPv6 goes in --subnet6)`);
    n = { name, subnet: formatCidr(c), nodeMask: nodeMaskOf(name, "--node-mask", spec.nodeMask, c.prefix, 24, 28) };
  } else if (spec.nodeMask !== undefined) throw new EngineError("INVALID_ARGUMENT", `network create ${name}: --node-mask needs --subnet`);
  if (spec.subnet6 === undefined) {
    if (spec.ipv6 === true) throw new EngineError("INVALID_ARGUMENT", `network create ${name} --scope cluster --ipv6: --subnet6 is required (a cluster network has no IPv6 pool)`);
    if (spec.nodeMask6 !== undefined) throw new EngineError("INVALID_ARGUMENT", `network create ${name}: --node-mask6 needs --subnet6`);
    return n;
  }
  if (typeof spec.subnet6 !== "string") throw new EngineError("INVALID_ARGUMENT", `network create ${name}: --subnet6 must be a CIDR`);
  const c6 = parseCidr(spec.subnet6);
  if (c6.family !== 6) throw new EngineError("INVALID_ARGUMENT", `network create ${name}: --subnet6 is IPv6, not '${spec.subnet6}'`);
  // Blocks are numbered by a JavaScript number: at most 2^20 blocks per network (Cilium's default cluster-pool: /104 ranges, /120 blocks).
  const nodeMask6 = nodeMaskOf(name, "--node-mask6", spec.nodeMask6, c6.prefix, Math.max(64, c6.prefix + 1), 120);
  if (nodeMask6 - c6.prefix > 20) throw new EngineError("INVALID_ARGUMENT", `network create ${name}: --node-mask6 /${nodeMask6} cuts ${spec.subnet6} into more than 2^20 blocks; use a shorter one`);
  return { ...n, subnet6: formatCidr(c6), nodeMask6 };
}

/** The network's ranges: IPv4 (unless IPv6-only), then IPv6 when it has it. */
export function rangesOf(n: ClusterNetwork): BlockRange[] {
  return [...(n.subnet ? [{ subnet: n.subnet, mask: n.nodeMask! }] : []), ...(n.subnet6 ? [{ subnet: n.subnet6, mask: n.nodeMask6! }] : [])];
}

/** The i-th block of the range (i from 0), or undefined past the last. */
export function nthBlock(r: BlockRange, i: number): string | undefined {
  const c = parseCidr(r.subnet);
  const blocks = 1n << BigInt(r.mask - c.prefix);
  if (BigInt(i) >= blocks) return undefined;
  const size = cidrSize({ ...c, prefix: r.mask });
  return formatCidr({ family: c.family, network: c.network + BigInt(i) * size, prefix: r.mask });
}

/** Blocks not yet taken, lowest first: the candidates a node tries to claim one by one. */
export function* freeBlocks(r: BlockRange, taken: ReadonlySet<string>): Generator<string> {
  for (let i = 0; ; i++) {
    const b = nthBlock(r, i);
    if (b === undefined) return;
    if (!taken.has(b)) yield b;
  }
}
