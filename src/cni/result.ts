// The ADD result in the spec's shape (interfaces with sandbox, ips pointing at an interface index,
// routes, dns), so chained plugins (portmap, tuning, bandwidth) find the container and host sides.
import type { CniDns } from "./config";

export interface AttachmentFacts {
  /** Absent on a routed network (no bridge): the host veth is then the first interface. */
  bridge?: string;
  hostIfname: string;
  ifname: string;
  mac: string;
  /** CNI_NETNS: marks the interface as the container's. */
  sandbox: string;
  ip4?: { address: string; gateway?: string };
  ip6?: { address: string; gateway?: string };
  /** Gateways for the default routes (absent on internal networks). */
  defaultVia4?: string;
  defaultVia6?: string;
}

interface CniInterface {
  name: string;
  mac?: string;
  sandbox?: string;
}
interface CniIp {
  version?: string;
  interface?: number;
  address: string;
  gateway?: string;
}
interface CniRoute {
  dst: string;
  gw?: string;
}
export interface CniResult {
  cniVersion: string;
  interfaces: CniInterface[];
  ips: CniIp[];
  routes: CniRoute[];
  dns: CniDns;
}

export function buildResult(cniVersion: string, f: AttachmentFacts, dns: CniDns | undefined, prevResult?: Record<string, unknown>): CniResult {
  // Earlier plugins' interfaces come first (we are a main plugin that may be chained after another one).
  const prev = prevResult ? asResult(prevResult) : undefined;
  const base = prev?.interfaces.length ?? 0;
  const interfaces: CniInterface[] = [...(f.bridge ? [{ name: f.bridge }] : []), { name: f.hostIfname }, { name: f.ifname, mac: f.mac, sandbox: f.sandbox }];
  const container = base + interfaces.length - 1;
  const v04 = cniVersion === "0.4.0";
  const ips: CniIp[] = [];
  for (const [fam, ip] of [["4", f.ip4], ["6", f.ip6]] as const) {
    if (ip) ips.push({ ...(v04 ? { version: fam } : {}), interface: container, address: ip.address, ...(ip.gateway ? { gateway: ip.gateway } : {}) });
  }
  const routes: CniRoute[] = [];
  if (f.defaultVia4) routes.push({ dst: "0.0.0.0/0", gw: f.defaultVia4 });
  if (f.defaultVia6) routes.push({ dst: "::/0", gw: f.defaultVia6 });
  return {
    cniVersion,
    interfaces: [...(prev?.interfaces ?? []), ...interfaces],
    ips: [...(prev?.ips ?? []), ...ips],
    routes: [...(prev?.routes ?? []), ...routes],
    dns: dns ?? prev?.dns ?? {},
  };
}

function asResult(o: Record<string, unknown>): Omit<CniResult, "cniVersion"> {
  const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
  return { interfaces: list<CniInterface>(o.interfaces), ips: list<CniIp>(o.ips), routes: list<CniRoute>(o.routes), dns: (o.dns as CniDns) ?? {} };
}
