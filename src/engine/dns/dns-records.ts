// Pure: desired state -> the DNS records each network's workloads see (one view per network).
import type { DnsRecord } from "../../dns";
import { reverseName } from "../../dns";
import { CLUSTER_DOMAIN, DNS_TTL } from "./dns-config";
import { serviceRecords } from "../services/service-records";
import { DEFAULT_NAMESPACE, type DesiredState } from "../../model/types";

export { CLUSTER_DOMAIN, DNS_TTL } from "./dns-config";
export { serviceFqdn, serviceGroups } from "../services/service-records";

/**
 * resolv.conf search list: workload names first, then services as a Kubernetes pod of that
 * namespace sees them (`web` is web in its own namespace, `web.x` is web in namespace x).
 */
export function searchDomains(workloadDomain: string, namespace: string = DEFAULT_NAMESPACE): string[] {
  return [workloadDomain, `${namespace}.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN];
}

/** Records of every bridge network, keyed by network id: names are visible on their own network only. */
export function dnsViews(state: DesiredState, domain: string, unhealthy: ReadonlySet<string> = new Set()): Map<string, DnsRecord[]> {
  const views = workloadRecords(state, domain);
  // Services are reachable from every network, so every view names them, after its workloads.
  const services = serviceRecords(state, unhealthy);
  for (const view of views.values()) view.push(...services);
  return views;
}

/** The workload records of each bridge network's view (the part that differs between views). */
export function workloadRecords(state: DesiredState, domain: string): Map<string, DnsRecord[]> {
  const views = new Map<string, DnsRecord[]>(state.networks.filter((n) => n.driver === "bridge").map((n) => [n.id, []]));
  const workloads = new Map(state.workloads.filter((w) => w.state !== "removing").map((w) => [w.id, w]));
  for (const a of state.attachments) {
    const w = workloads.get(a.workloadId);
    const view = views.get(a.networkId);
    if (!w || !view) continue;
    const fqdn = `${w.name.toLowerCase()}.${domain}`;
    // Kubernetes pod records (a-b-c-d.<namespace>.pod.<cluster domain>), on the pod's own network.
    if (a.ip4) view.push({ name: `${a.ip4.replace(/\./g, "-")}.${w.namespace ?? DEFAULT_NAMESPACE}.pod.${CLUSTER_DOMAIN}`, type: "A", ttl: DNS_TTL, data: a.ip4 });
    if (a.ip4) view.push({ name: fqdn, type: "A", ttl: DNS_TTL, data: a.ip4 }, { name: reverseName(a.ip4), type: "PTR", ttl: DNS_TTL, data: fqdn });
    if (a.ip6) view.push({ name: fqdn, type: "AAAA", ttl: DNS_TTL, data: a.ip6 }, { name: reverseName(a.ip6), type: "PTR", ttl: DNS_TTL, data: fqdn });
    // Aliases resolve like the name, on this network only (no PTR: an address names its workload).
    for (const alias of a.aliases ?? []) {
      const name = `${alias.toLowerCase()}.${domain}`;
      if (a.ip4) view.push({ name, type: "A", ttl: DNS_TTL, data: a.ip4 });
      if (a.ip6) view.push({ name, type: "AAAA", ttl: DNS_TTL, data: a.ip6 });
    }
  }
  return views;
}

/** Client address -> its network (the view it sees). */
export function viewIndex(state: DesiredState): Map<string, string> {
  const index = new Map<string, string>();
  for (const a of state.attachments) {
    if (a.ip4) index.set(a.ip4, a.networkId);
    if (a.ip6) index.set(a.ip6, a.networkId);
  }
  return index;
}
