// pontond's cluster flags, validated before anything connects (pure: unit-tested).
import os from "node:os";
import { EngineError } from "../errors";
import { validateName } from "../model/names";
import { parseIp } from "../model/ip";

export interface ClusterOptions {
  endpoints: string[];
  nodeName: string;
  /** Underlay address; when absent, the source address the kernel picks towards the first etcd endpoint. */
  nodeIp?: string;
  leaseTtlS: number;
}

export const DEFAULT_LEASE_TTL_S = 5;

export function parseClusterOptions(cluster: string | undefined, name: string | undefined, ip: string | undefined, ttl: string | undefined): ClusterOptions | undefined {
  if (cluster === undefined) {
    const stray = [name && "--node-name", ip && "--node-ip", ttl && "--node-lease-ttl"].filter(Boolean);
    if (stray.length) throw new EngineError("INVALID_ARGUMENT", `${stray.join(", ")} need --cluster`);
    return undefined;
  }
  const endpoints = cluster.split(",").map((e) => e.trim());
  for (const e of endpoints) {
    let u: URL;
    try {
      u = new URL(e);
    } catch {
      throw new EngineError("INVALID_ARGUMENT", `--cluster: '${e}' is not a URL like http://192.0.2.2:2379`);
    }
    if (u.protocol !== "http:" || !u.port || u.pathname !== "/") throw new EngineError("INVALID_ARGUMENT", `--cluster: '${e}' must be http://HOST:PORT (TLS is not supported yet)`);
  }
  const nodeName = validateName("node", name ?? os.hostname());
  if (ip !== undefined && parseIp(ip)?.family !== 4) throw new EngineError("INVALID_ARGUMENT", `--node-ip must be an IPv4 address, not '${ip}'`);
  const leaseTtlS = ttl === undefined ? DEFAULT_LEASE_TTL_S : Number(ttl);
  if (!Number.isInteger(leaseTtlS) || leaseTtlS < 2 || leaseTtlS > 3600) throw new EngineError("INVALID_ARGUMENT", `--node-lease-ttl is whole seconds from 2 to 3600, not '${ttl}'`);
  return { endpoints, nodeName, ...(ip ? { nodeIp: ip } : {}), leaseTtlS };
}
