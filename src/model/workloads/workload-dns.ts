// A workload's own DNS settings, validated whole before anything is made: its hostname, its
// resolv.conf (`docker run --dns/--dns-search/--dns-option`, a pod's dnsPolicy and dnsConfig) and
// extra /etc/hosts entries (`--add-host NAME:IP`, a pod's hostAliases).
import { isIP } from "node:net";
import { EngineError } from "../../errors";
import type { HostEntry, WorkloadDns } from "../types";

const bad = (message: string, hint?: string) => new EngineError("INVALID_ARGUMENT", message, hint ? { hint } : {});

// RFC 1123 host names; the kernel keeps 64 bytes of a hostname.
const HOST_NAME = /^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/;
// resolv.conf options: a word, or word:number (ndots:5, timeout:1, edns0, single-request-reopen).
const OPTION = /^[a-z0-9][-a-z0-9_]*(:[0-9]{1,3})?$/;
const POLICIES = ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"] as const;
/** Kubernetes' limits: 3 nameservers (glibc's MAXNS), 32 search domains. */
const MAX_NAMESERVERS = 3;
const MAX_SEARCH = 32;

export function validateHostname(name: unknown, what = "hostname"): string {
  if (typeof name !== "string" || name.length > 64 || !HOST_NAME.test(name)) {
    throw bad(`invalid ${what} '${String(name)}'`, "letters, digits, '-' and '.', at most 64 characters (RFC 1123)");
  }
  return name;
}

function strings(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw bad(`${what} must be a list of strings`);
  return v as string[];
}

/** undefined when nothing differs from the default (ClusterFirst with nothing added). */
export function normalizeWorkloadDns(v: unknown): WorkloadDns | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) throw bad("dns must be {policy, nameservers, search, options}");
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!["policy", "nameservers", "search", "options"].includes(k)) throw bad(`dns: unknown field '${k}'`);
  if (o.policy !== undefined && !POLICIES.includes(o.policy as never)) throw bad(`dns policy '${String(o.policy)}' is not one of ${POLICIES.join(", ")}`);
  const policy = o.policy as WorkloadDns["policy"];
  const nameservers = strings(o.nameservers, "dns nameservers");
  for (const ns of nameservers) if (!isIP(ns)) throw bad(`dns nameserver '${ns}' is not an IP address`);
  if (nameservers.length > MAX_NAMESERVERS) throw bad(`at most ${MAX_NAMESERVERS} dns nameservers (glibc reads no more)`);
  const search = strings(o.search, "dns search").map((s) => validateHostname(s.replace(/\.$/, ""), "dns search domain"));
  if (search.length > MAX_SEARCH) throw bad(`at most ${MAX_SEARCH} dns search domains`);
  const options = strings(o.options, "dns options");
  for (const opt of options) if (!OPTION.test(opt)) throw bad(`invalid dns option '${opt}'`, "a resolv.conf option: NAME or NAME:N, e.g. ndots:2, edns0, timeout:1");
  if (policy === "None" && nameservers.length === 0) throw bad("dns policy None needs at least one nameserver");
  const out: WorkloadDns = {
    ...(policy && policy !== "ClusterFirst" ? { policy } : {}),
    ...(nameservers.length ? { nameservers } : {}),
    ...(search.length ? { search } : {}),
    ...(options.length ? { options } : {}),
  };
  return Object.keys(out).length ? out : undefined;
}

/** Whether the embedded DNS comes first (ClusterFirstWithHostNet is ClusterFirst off the host network). */
export function clusterFirst(dns: WorkloadDns | undefined): boolean {
  const p = dns?.policy ?? "ClusterFirst";
  return p === "ClusterFirst" || p === "ClusterFirstWithHostNet";
}

/**
 * A host-network workload shares the host's mount namespace and so its /etc/resolv.conf: Ponton
 * writes it no file. Kubernetes semantics there (hostNetwork + ClusterFirst is the node's resolvers,
 * ClusterFirstWithHostNet is the cluster DNS) would need the embedded DNS to answer a client that
 * has no workload address, which it cannot place in a view: refused rather than silently ignored,
 * as are resolv.conf settings that would never be written.
 */
export function checkHostNetworkDns(name: string, dns: WorkloadDns | undefined): void {
  if (!dns) return;
  if (dns.policy === "ClusterFirstWithHostNet") {
    throw new EngineError(
      "UNSUPPORTED",
      `run ${name}: dns policy ClusterFirstWithHostNet is not supported for a host-network workload: it shares the host's /etc/resolv.conf, and the embedded DNS answers by the asker's workload address, which a host-network process does not have`,
      { hint: "leave the policy out (a host-network workload uses the host's resolvers, as Kubernetes' ClusterFirst does for hostNetwork pods), or run it on a bridge network" },
    );
  }
  if (dns.policy === "None" || dns.nameservers || dns.search || dns.options) {
    throw new EngineError("UNSUPPORTED", `run ${name}: dns settings are not applied to a host-network workload: it shares the host's /etc/resolv.conf`);
  }
}

/** A network's own upstream DNS servers (`network create --dns IP`): addresses, at most 3. */
export function normalizeNetworkDns(v: unknown): string[] {
  const servers = [...new Set(strings(v, "network dns servers"))];
  for (const ip of servers) if (!isIP(ip)) throw bad(`network dns server '${ip}' is not an IP address`);
  if (servers.length > MAX_NAMESERVERS) throw bad(`at most ${MAX_NAMESERVERS} network dns servers`);
  return servers;
}

/** "NAME:IP" (Docker's --add-host; an IPv6 address keeps its colons) or {name, ip}. */
export function normalizeExtraHosts(v: unknown): HostEntry[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw bad("extra hosts must be a list of NAME:IP");
  return v.map((e) => {
    let name: unknown, ip: unknown;
    if (typeof e === "string") {
      const at = e.indexOf(":");
      [name, ip] = at < 0 ? [e, undefined] : [e.slice(0, at), e.slice(at + 1).replace(/^\[(.*)\]$/, "$1")];
    } else if (e && typeof e === "object") ({ name, ip } = e as Record<string, unknown>);
    if (typeof ip !== "string" || !isIP(ip)) throw bad(`extra host '${typeof e === "string" ? e : JSON.stringify(e)}' needs an IP address`, "write it as NAME:IP, e.g. db.local:10.0.0.5");
    return { name: validateHostname(name, "extra host name"), ip };
  });
}

/**
 * A workload's DNS keys in `ponton up` YAML, pod-spec style: hostname, dnsPolicy, dnsConfig
 * ({nameservers, searches, options: [{name, value}]}), hostAliases ([{ip, hostnames}]), and
 * Compose's extraHosts ["NAME:IP"]. Checked here, so a bad file applies nothing.
 */
export function podDnsFields(m: Record<string, unknown>): { hostname?: string; dns?: WorkloadDns; extraHosts?: HostEntry[] } {
  const config = (m.dnsConfig ?? {}) as Record<string, unknown>;
  if (typeof config !== "object" || Array.isArray(config)) throw bad("dnsConfig must be a map of nameservers, searches, options");
  for (const k of Object.keys(config)) if (!["nameservers", "searches", "options"].includes(k)) throw bad(`dnsConfig: unknown field '${k}'`);
  if (config.options !== undefined && !Array.isArray(config.options)) throw bad("dnsConfig.options must be a list of {name, value}");
  const options = (config.options as unknown[] | undefined)?.map(podOption);
  const dns = normalizeWorkloadDns({ policy: m.dnsPolicy ?? undefined, nameservers: config.nameservers, search: config.searches, options });
  if (m.hostAliases !== undefined && !Array.isArray(m.hostAliases)) throw bad("hostAliases must be a list of {ip, hostnames}");
  const aliases = ((m.hostAliases as unknown[] | undefined) ?? []).flatMap((a) => {
    const { ip, hostnames } = (a ?? {}) as Record<string, unknown>;
    return strings(hostnames, "hostAliases hostnames").map((name) => ({ name, ip }));
  });
  const extraHosts = normalizeExtraHosts([...aliases, ...strings(m.extraHosts, "extraHosts")]);
  return {
    ...(m.hostname !== undefined ? { hostname: validateHostname(m.hostname) } : {}),
    ...(dns ? { dns } : {}),
    ...(extraHosts.length ? { extraHosts } : {}),
  };
}

function podOption(o: unknown): string {
  const { name, value } = (o ?? {}) as Record<string, unknown>;
  if (typeof name !== "string") throw bad("each dnsConfig option needs a name");
  return value === undefined || value === null ? name : `${name}:${String(value)}`;
}
