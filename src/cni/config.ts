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
  /** GC: `cni.dev/valid-attachments`. */
  validAttachments?: { containerID: string; ifname: string }[];
}

/** Fields whose meaning we do not implement: the spec wants code 2 naming the key and value. */
const UNSUPPORTED = ["ipam"];
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
    try {
      return validatePortMapping({ hostPort: o.hostPort, containerPort: o.containerPort, protocol: o.protocol ?? "tcp", hostIp: o.hostIP ?? o.hostIp });
    } catch (e) {
      throw invalid(`runtimeConfig.portMappings: ${(e as EngineError).message}`, JSON.stringify(p));
    }
  });
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
  for (const key of UNSUPPORTED) {
    if (key in o) throw new CniError(CNI_CODE.UNSUPPORTED_FIELD, `unsupported field ${key}: ${JSON.stringify(o[key])}`, "Ponton allocates addresses itself from the network's subnet; remove 'ipam' (use the 'ips' capability for a static address)");
  }
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
  const conf: CniConfig = { cniVersion: version, name: o.name, network: typeof o.network === "string" ? o.network : "", ports: parsePorts(rc.portMappings), ips };
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
