// Delegated IPAM: a config with an `ipam` section runs that IPAM plugin (host-local, static, dhcp…)
// as the reference plugins do — same CNI_* environment, the whole network config on stdin — and
// the addresses it returns become the attachment's static addresses.
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";
import type { CniIpam } from "./config";
import type { CniEnv } from "./env";
import { CNI_CODE, CniError } from "./errors";

/** DHCP may take a while to get a lease; anything longer is a stuck plugin. */
const IPAM_TIMEOUT_MS = 60_000;
const MAX_OUTPUT = 1 << 20;

export interface IpamAddresses {
  ip4?: string;
  ip6?: string;
}

/** The plugin's executable: the first CNI_PATH directory that has it. */
export function findPlugin(cniPath: string, type: string): string {
  for (const dir of cniPath.split(":").filter(Boolean)) {
    const file = path.join(dir, type);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this directory
    }
  }
  throw new CniError(CNI_CODE.INVALID_CONFIG, `IPAM plugin ${type} not found in CNI_PATH (${cniPath})`);
}

/** The CNI_ARGS string the runtime gave, rebuilt from its pairs. */
const argsText = (args: Record<string, string>): string =>
  Object.entries(args)
    .map(([k, v]) => `${k}=${v}`)
    .join(";");

export function runIpam(command: "ADD" | "DEL" | "CHECK", ipam: CniIpam, env: CniEnv, config: string): Promise<Record<string, unknown> | undefined> {
  const file = findPlugin(env.path, ipam.type);
  const vars: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    CNI_COMMAND: command,
    CNI_CONTAINERID: env.containerId,
    CNI_NETNS: env.netns,
    CNI_IFNAME: env.ifname,
    CNI_ARGS: argsText(env.args),
    CNI_PATH: env.path,
  };
  return new Promise((resolve, reject) => {
    const child = execFile(file, [], { env: vars, timeout: IPAM_TIMEOUT_MS, maxBuffer: MAX_OUTPUT }, (err, stdout) => {
      let out: Record<string, unknown> | undefined;
      try {
        out = stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : undefined;
      } catch {
        out = undefined;
      }
      if (!err) return resolve(out);
      // The plugin's own error object is passed on with its code; anything else is an I/O failure.
      if (out && typeof out.code === "number") return reject(new CniError(out.code, `IPAM plugin ${ipam.type}: ${String(out.msg ?? "failed")}`, typeof out.details === "string" ? out.details : undefined));
      reject(new CniError(CNI_CODE.IO_FAILURE, `IPAM plugin ${ipam.type} ${command} failed: ${err.message}`));
    });
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(config);
  });
}

/** The first IPv4 and IPv6 address of an IPAM result (CIDR notation in the result; bare here). */
export function ipamAddresses(result: Record<string, unknown> | undefined, type: string): IpamAddresses {
  const ips = Array.isArray(result?.ips) ? (result.ips as { address?: unknown }[]) : [];
  const out: IpamAddresses = {};
  for (const ip of ips) {
    if (typeof ip.address !== "string") continue;
    const bare = ip.address.split("/")[0]!;
    if (bare.includes(":")) out.ip6 ??= bare;
    else out.ip4 ??= bare;
  }
  if (!out.ip4 && !out.ip6) throw new CniError(CNI_CODE.INVALID_CONFIG, `IPAM plugin ${type} returned no address`, JSON.stringify(result ?? null));
  return out;
}
