// pontond's cluster flags, validated before anything connects (pure: unit-tested).
import os from "node:os";
import { EngineError } from "../errors";
import { validateName } from "../model/names";
import { parseIp } from "../model/ip";
import type { EtcdCredentials } from "./etcd";
import type { RoutingMode } from "./overlay/routing-mode";

export interface ClusterOptions {
  endpoints: string[];
  nodeName: string;
  /** Underlay address; when absent, the source address the kernel picks towards the first etcd endpoint. */
  nodeIp?: string;
  leaseTtlS: number;
  /** Files for https:// endpoints (etcd's --trusted-ca-file, and a client certificate when etcd asks for one). */
  tls?: EtcdTlsFiles;
  /** `tls` read (pontond reads the files once, before it makes anything). */
  credentials?: EtcdCredentials;
  /** Absent: whatever the cluster already routes (vxlan for the first node). */
  routing?: RoutingMode;
}

export interface EtcdTlsFiles {
  /** Absent: the system's trusted roots. */
  ca?: string;
  cert?: string;
  key?: string;
}

export const DEFAULT_LEASE_TTL_S = 5;

export function parseClusterOptions(cluster: string | undefined, name: string | undefined, ip: string | undefined, ttl: string | undefined, tlsFiles: EtcdTlsFiles = {}): ClusterOptions | undefined {
  if (cluster === undefined) {
    const stray = [name && "--node-name", ip && "--node-ip", ttl && "--node-lease-ttl", tlsFiles.ca && "--etcd-cacert", tlsFiles.cert && "--etcd-cert", tlsFiles.key && "--etcd-key"].filter(Boolean);
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
    if ((u.protocol !== "http:" && u.protocol !== "https:") || !u.port || u.pathname !== "/") throw new EngineError("INVALID_ARGUMENT", `--cluster: '${e}' must be http://HOST:PORT or https://HOST:PORT`);
  }
  const secure = endpoints.map((e) => e.startsWith("https:"));
  if (secure.some((x) => x !== secure[0])) throw new EngineError("INVALID_ARGUMENT", "--cluster: every endpoint is http:// or every one https://, not a mix (one client, one kind of channel)");
  const tls = tlsOptions(secure[0]!, tlsFiles);
  const nodeName = validateName("node", name ?? os.hostname());
  if (ip !== undefined && parseIp(ip)?.family !== 4) throw new EngineError("INVALID_ARGUMENT", `--node-ip must be an IPv4 address, not '${ip}'`);
  const leaseTtlS = ttl === undefined ? DEFAULT_LEASE_TTL_S : Number(ttl);
  if (!Number.isInteger(leaseTtlS) || leaseTtlS < 2 || leaseTtlS > 3600) throw new EngineError("INVALID_ARGUMENT", `--node-lease-ttl is whole seconds from 2 to 3600, not '${ttl}'`);
  return { endpoints, nodeName, ...(ip ? { nodeIp: ip } : {}), leaseTtlS, ...(tls ? { tls } : {}) };
}

function tlsOptions(secure: boolean, files: EtcdTlsFiles): EtcdTlsFiles | undefined {
  const given = Object.entries(files).filter(([, v]) => v !== undefined);
  if (!secure) {
    if (given.length) throw new EngineError("INVALID_ARGUMENT", `--etcd-${given[0]![0] === "ca" ? "cacert" : given[0]![0]} needs https:// endpoints in --cluster`);
    return undefined;
  }
  if ((files.cert === undefined) !== (files.key === undefined)) throw new EngineError("INVALID_ARGUMENT", "--etcd-cert and --etcd-key go together (the client certificate and its private key)");
  return Object.fromEntries(given) as EtcdTlsFiles;
}
