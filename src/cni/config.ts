// The network configuration a runtime gives on stdin: version check, required fields, capabilities.
import { EngineError } from "../errors";
import { validatePortMapping } from "../model/ports";
import type { PortMapping } from "../model/types";
import type { CniCommand } from "./env";
import { CNI_CODE, CniError } from "./errors";

export const SUPPORTED_VERSIONS = ["0.4.0", "1.0.0", "1.1.0"];

export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/** The Ponton network a conflist may describe, created on the first ADD if it does not exist. */
export interface CniNetworkDescription {
  /** bridge (the default) or routed (no bridge: a /32 and /128 host route per attachment). */
  driver?: string;
  subnet?: string;
  gateway?: string;
  subnet6?: string;
  gateway6?: string;
  internal?: boolean;
  icc?: boolean;
  masquerade?: boolean;
}

/** An `ipam` section: delegated to that IPAM plugin (host-local, static, dhcp…), as the reference plugins do. */
export interface CniIpam {
  type: string;
}

export interface CniConfig {
  cniVersion: string;
  name: string;
  /** The Ponton network to attach to (created beforehand with `ponton network create`). */
  network: string;
  dns?: CniDns;
  ports: PortMapping[];
  /** Static addresses from the `ips` capability (runtimeConfig) or CNI_ARGS IP=. */
  ips: string[];
  mac?: string;
  prevResult?: Record<string, unknown>;
  /** Fields that describe the network (see docs/cni.md); empty when the conflist names an existing one. */
  describes: CniNetworkDescription;
  ipam?: CniIpam;
  /** GC: `cni.dev/valid-attachments`. */
  validAttachments?: { containerID: string; ifname: string }[];
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function versionAtLeast(v: string, min: string): boolean {
  const a = v.split(".").map(Number);
  const b = min.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

/** The version to answer with even when the config is bad (errors carry cniVersion too). */
export function sniffVersion(text: string): string {
  try {
    const v = (JSON.parse(text) as { cniVersion?: unknown }).cniVersion;
    return typeof v === "string" && SUPPORTED_VERSIONS.includes(v) ? v : "1.1.0";
  } catch {
    return "1.1.0";
  }
}

function invalid(message: string, details?: string): CniError {
  return new CniError(CNI_CODE.INVALID_CONFIG, message, details);
}

function stringList(v: unknown, what: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw invalid(`${what} must be a list of strings`);
  return v as string[];
}

function parseDns(v: unknown, what: string): CniDns | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) throw invalid(`${what} must be an object`);
  const o = v as Record<string, unknown>;
  const dns: CniDns = {};
  const ns = stringList(o.nameservers, `${what}.nameservers`);
  const search = stringList(o.search, `${what}.search`);
  const options = stringList(o.options, `${what}.options`);
  if (ns) dns.nameservers = ns;
  if (search) dns.search = search;
  if (options) dns.options = options;
  if (typeof o.domain === "string") dns.domain = o.domain;
  return dns;
}

function parsePorts(v: unknown): PortMapping[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalid("runtimeConfig.portMappings must be a list");
  return v.map((p) => {
    const o = (p ?? {}) as Record<string, unknown>;
    // The runtime names (and holds) the host port: no "pick one" through CNI.
    if (!Number.isInteger(o.hostPort) || (o.hostPort as number) < 1) throw invalid("runtimeConfig.portMappings: hostPort must be a port number from 1 to 65535", JSON.stringify(p));
    try {
      return validatePortMapping({ hostPort: o.hostPort, containerPort: o.containerPort, protocol: o.protocol ?? "tcp", hostIp: o.hostIP ?? o.hostIp });
    } catch (e) {
      throw invalid(`runtimeConfig.portMappings: ${(e as EngineError).message}`, JSON.stringify(p));
    }
  });
}

const DESCRIPTION_STRINGS = ["driver", "subnet", "gateway", "subnet6", "gateway6"] as const;
const DESCRIPTION_BOOLEANS = ["internal", "icc", "masquerade"] as const;

function parseDescription(o: Record<string, unknown>): CniNetworkDescription {
  const d: CniNetworkDescription = {};
  for (const k of DESCRIPTION_STRINGS) {
    if (o[k] === undefined) continue;
    if (typeof o[k] !== "string") throw invalid(`config field '${k}' must be a string`);
    d[k] = o[k] as string;
  }
  for (const k of DESCRIPTION_BOOLEANS) {
    if (o[k] === undefined) continue;
    if (typeof o[k] !== "boolean") throw invalid(`config field '${k}' must be true or false`);
    d[k] = o[k] as boolean;
  }
  return d;
}

function parseIpam(v: unknown): CniIpam {
  const t = v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>).type : undefined;
  // A plugin name, looked up in CNI_PATH: never a path.
  if (typeof t !== "string" || !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(t)) throw invalid("ipam.type must name an IPAM plugin in CNI_PATH (host-local, static, dhcp…)", JSON.stringify(v));
  return { type: t };
}

export function parseConfig(text: string, command: CniCommand, args: Record<string, string>): CniConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CniError(CNI_CODE.DECODING_FAILURE, `cannot decode the network configuration: ${(e as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new CniError(CNI_CODE.DECODING_FAILURE, "the network configuration is not a JSON object");
  const o = raw as Record<string, unknown>;
  // A config without cniVersion is 0.1.0 by the spec's history: incompatible.
  const version = typeof o.cniVersion === "string" ? o.cniVersion : "0.1.0";
  if (!SUPPORTED_VERSIONS.includes(version)) {
    throw new CniError(CNI_CODE.INCOMPATIBLE_VERSION, `incompatible CNI version ${version}`, `supported versions: ${SUPPORTED_VERSIONS.join(", ")}`);
  }
  if ((command === "STATUS" || command === "GC") && !versionAtLeast(version, "1.1.0")) {
    throw new CniError(CNI_CODE.INCOMPATIBLE_VERSION, `${command} needs cniVersion 1.1.0 (the config says ${version})`);
  }
  if (typeof o.name !== "string" || !NAME.test(o.name)) throw invalid("config field 'name' is required: letters, digits, '_', '.', '-'");
  if (typeof o.type !== "string" || o.type === "") throw invalid("config field 'type' is required");
  const needsNetwork = command === "ADD" || command === "CHECK" || command === "STATUS";
  if (needsNetwork && (typeof o.network !== "string" || o.network === "")) {
    throw invalid("config field 'network' is required: the Ponton network to attach to", "create it first with 'ponton network create NAME'");
  }
  const rc = (o.runtimeConfig ?? {}) as Record<string, unknown>;
  if (typeof rc !== "object" || Array.isArray(rc)) throw invalid("runtimeConfig must be an object");

  const ips = [...(stringList(rc.ips, "runtimeConfig.ips") ?? []), ...(args.IP ? args.IP.split(",") : [])].map((ip) => ip.split("/")[0]!);
  const mac = typeof rc.mac === "string" ? rc.mac : args.MAC;
  if (mac !== undefined && !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) throw invalid(`invalid mac '${mac}'`);
  const dns = parseDns(rc.dns, "runtimeConfig.dns") ?? parseDns(o.dns, "dns");
  const conf: CniConfig = { cniVersion: version, name: o.name, network: typeof o.network === "string" ? o.network : "", ports: parsePorts(rc.portMappings), ips, describes: parseDescription(o) };
  if (o.ipam !== undefined) conf.ipam = parseIpam(o.ipam);
  if (mac) conf.mac = mac.toLowerCase();
  if (dns) conf.dns = dns;
  if (o.prevResult && typeof o.prevResult === "object") conf.prevResult = o.prevResult as Record<string, unknown>;
  if (command === "GC") {
    const valid = o["cni.dev/valid-attachments"];
    if (!Array.isArray(valid)) throw invalid("GC needs 'cni.dev/valid-attachments' (a list of {containerID, ifname})");
    conf.validAttachments = valid.map((a) => {
      const x = (a ?? {}) as Record<string, unknown>;
      if (typeof x.containerID !== "string" || typeof x.ifname !== "string") throw invalid("each of 'cni.dev/valid-attachments' needs containerID and ifname", JSON.stringify(a));
      return { containerID: x.containerID, ifname: x.ifname };
    });
  }
  return conf;
}
