// Pure: choose a free subnet for a new network from a pool, skipping anything in use or routed.
import { EngineError } from "../errors";
import { cidrsOverlap, cidrSize, formatCidr, parseCidr, type Cidr } from "../model/ip";

export interface PoolSpec {
  /** The range subnets are carved from, e.g. 10.89.0.0/16. */
  base: string;
  /** Prefix length of each network, e.g. 24. */
  size: number;
}

export const DEFAULT_POOL4: PoolSpec = { base: "10.89.0.0/16", size: 24 };
export const DEFAULT_POOL6: PoolSpec = { base: "fd70:6f6e::/48", size: 64 };

/** "10.89.0.0/16:24" -> PoolSpec (the --default-pool / PONTON_DEFAULT_POOL syntax). */
export function parsePoolSpec(text: string): PoolSpec {
  const [base, size] = text.split(":").length > 2 ? [text.slice(0, text.lastIndexOf(":")), text.slice(text.lastIndexOf(":") + 1)] : text.split(":");
  const c = parseCidr(base ?? "");
  const n = Number(size);
  if (!Number.isInteger(n) || n < c.prefix || n > (c.family === 4 ? 30 : 124)) {
    throw new EngineError("INVALID_ARGUMENT", `invalid pool '${text}'`, { hint: "write it as BASE/PREFIX:SIZE, e.g. 10.89.0.0/16:24" });
  }
  return { base: formatCidr(c), size: n };
}

export interface TakenPrefix {
  cidr: string;
  /** What holds it, for the error message ("network web", "route 10.89.0.0/24 dev wg0"). */
  by: string;
}

export function allocateSubnet(pool: PoolSpec, taken: TakenPrefix[], flag: string): string {
  const base = parseCidr(pool.base);
  const step = 1n << BigInt((base.family === 4 ? 32 : 128) - pool.size);
  const count = cidrSize(base) / step;
  const parsedTaken = taken.flatMap((t) => {
    try {
      return [{ ...t, c: parseCidr(t.cidr) }];
    } catch {
      return [];
    }
  });
  const conflicts = new Map<string, string>();
  for (let i = 0n; i < count && i < 65536n; i++) {
    const candidate: Cidr = { family: base.family, network: base.network + i * step, prefix: pool.size };
    const clash = parsedTaken.find((t) => cidrsOverlap(t.c, candidate));
    if (!clash) return formatCidr(candidate);
    conflicts.set(clash.cidr, clash.by);
  }
  const list = [...conflicts].slice(0, 8).map(([c, by]) => `${c} (${by})`).join(", ");
  throw new EngineError("POOL_EXHAUSTED", `no free /${pool.size} left in the default pool ${pool.base}; taken by: ${list}`, {
    hint: `free a network, give --subnet explicitly, or choose another pool with ${flag}`,
  });
}
