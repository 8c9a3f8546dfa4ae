// Cluster-pool IPAM arithmetic (pure): a cluster network is cut into per-node blocks of --node-mask.
import { EngineError } from "../../errors";
import { cidrSize, formatCidr, parseCidr } from "../../model/ip";
import { validateName } from "../../model/names";

export interface ClusterNetwork {
  name: string;
  subnet: string;
  nodeMask: number;
}

export function validateClusterNetwork(spec: { name?: unknown; subnet?: unknown; nodeMask?: unknown }): ClusterNetwork {
  const name = validateName("network", spec.name);
  if (typeof spec.subnet !== "string") throw new EngineError("INVALID_ARGUMENT", `network create ${name} --scope cluster: --subnet is required`);
  const c = parseCidr(spec.subnet);
  if (c.family !== 4) throw new EngineError("UNSUPPORTED", `network create ${name}: cluster networks are IPv4 for now, not '${spec.subnet}'`);
  const nodeMask = spec.nodeMask === undefined ? 24 : Number(spec.nodeMask);
  if (!Number.isInteger(nodeMask) || nodeMask <= c.prefix || nodeMask > 28) {
    throw new EngineError("INVALID_ARGUMENT", `network create ${name}: --node-mask must be longer than /${c.prefix} and at most /28, not '${String(spec.nodeMask)}'`);
  }
  return { name, subnet: formatCidr(c), nodeMask };
}

/** The i-th block of the network (i from 0), or undefined past the last. */
export function nthBlock(n: ClusterNetwork, i: number): string | undefined {
  const c = parseCidr(n.subnet);
  const blocks = 1n << BigInt(n.nodeMask - c.prefix);
  if (BigInt(i) >= blocks) return undefined;
  const size = cidrSize({ ...c, prefix: n.nodeMask });
  return formatCidr({ family: c.family, network: c.network + BigInt(i) * size, prefix: n.nodeMask });
}

/** Blocks not yet taken, lowest first: the candidates a node tries to claim one by one. */
export function* freeBlocks(n: ClusterNetwork, taken: ReadonlySet<string>): Generator<string> {
  for (let i = 0; ; i++) {
    const b = nthBlock(n, i);
    if (b === undefined) return;
    if (!taken.has(b)) yield b;
  }
}
