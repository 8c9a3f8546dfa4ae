// Pure: desired state -> the DNS records each workload sees. A view holds the names of some
// networks: a workload on one network of the default namespace asks in that network's view (its
// id is the network's id); one on several networks, or in another namespace, or with upstream
// servers of its own (`run --dns`), in a view of all its networks for that namespace and those
// servers, as Docker's embedded DNS answers for every network of the asker.
import type { DnsRecord } from "../../dns";
import { reverseName } from "../../dns";
import { CLUSTER_DOMAIN, DNS_TTL, DNS_SCHEMA_VERSION } from "./dns-config";
import { serviceGroups } from "../services/service-records";
import { clusterFirst } from "../../model/workloads/workload-dns";
import type { SharedGroups } from "./dns-sent-views";
import type { PodGroupIndex } from "./dns-pod-groups";
import type { Service } from "../../model/services/service";
import { DEFAULT_NAMESPACE, type Attachment, type DesiredState, type Workload } from "../../model/types";
import { crossesHost } from "../../model/networks/drivers";

export { CLUSTER_DOMAIN, DNS_TTL } from "./dns-config";
export { serviceFqdn, serviceGroups } from "../services/service-records";

/**
 * resolv.conf search list: workload names first, then services as a Kubernetes pod of that
 * namespace sees them (`web` is web in its own namespace, `web.x` is web in namespace x). Every
 * suffix is a local zone, so with Kubernetes' ndots:5 a cluster name is never asked upstream.
 */
export function searchDomains(workloadDomain: string, namespace: string = DEFAULT_NAMESPACE): string[] {
  return [workloadDomain, `${namespace}.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN];
}

/** What a view id says: NET1+NET2[@NAMESPACE][!UPSTREAM,UPSTREAM] (namespaces never hold '@' or '!'). */
export interface ViewKey {
  networks: string[];
  namespace: string;
  upstreams: string[];
}

export function viewId(k: ViewKey): string {
  if (k.networks.length === 1 && k.namespace === DEFAULT_NAMESPACE && !k.upstreams.length) return k.networks[0]!;
  return k.networks.join("+") + (k.namespace === DEFAULT_NAMESPACE ? "" : `@${k.namespace}`) + (k.upstreams.length ? `!${k.upstreams.join(",")}` : "");
}

function parseViewId(id: string): ViewKey {
  const [rest, ups] = id.split("!") as [string, string | undefined];
  const [nets, ns] = rest.split("@") as [string, string | undefined];
  return { networks: nets.split("+"), namespace: ns ?? DEFAULT_NAMESPACE, upstreams: ups ? ups.split(",") : [] };
}

/** Where a bare name asked of a view is looked up after the workload domain: its namespace's services. */
export function viewSearch(viewId: string): string[] {
  return [`${parseViewId(viewId).namespace}.svc.${CLUSTER_DOMAIN}`];
}

/** Records of every view, keyed by view id: workload names where they are visible, then what every view holds. */
/**
 * Whose names are answered: not one being removed, nor a `broken` one (its namespace or interfaces
 * are gone: nothing would answer at its address, so its name goes until it is rebuilt).
 */
export const answersDns = (w: Workload) => w.state !== "removing" && w.state !== "broken";

export function dnsViews(state: DesiredState, domain: string, unhealthy: ReadonlySet<string> = new Set()): Map<string, DnsRecord[]> {
  const views = workloadRecords(state, domain);
  const groups = sharedGroups(state, unhealthy);
  const shared = groups.list.flatMap((g) => groups.records(g));
  for (const view of views.values()) view.push(...shared);
  return views;
}

/** Records every view holds that depend on nothing but themselves: the DNS sync skips an unchanged one by identity. */
export class FixedGroup {
  constructor(readonly records: DnsRecord[]) {}
}

const VERSION = new FixedGroup([{ name: `dns-version.${CLUSTER_DOMAIN}`, type: "TXT", ttl: DNS_TTL, data: DNS_SCHEMA_VERSION }]);

/** Pod record groups by namespace and addresses (what their records are made of). */
export type PodGroups = Map<string, FixedGroup>;

/** What a pod group is made of: the workload's namespace and the attachment's addresses. */
export const podGroupKey = (w: Workload, a: Attachment) => `${w.namespace ?? DEFAULT_NAMESPACE}|${a.ip4 ?? ""}|${a.ip6 ?? ""}`;

/** Each attachment's pod group on a bridge-like network, once per group key, in attachment order. */
export function podGroups(state: Pick<DesiredState, "networks" | "workloads" | "attachments">): FixedGroup[] {
  const workloads = new Map(state.workloads.filter(answersDns).map((w) => [w.id, w]));
  const bridges = new Set(state.networks.filter(crossesHost).map((n) => n.id));
  const next: PodGroups = new Map();
  for (const a of state.attachments) {
    const w = workloads.get(a.workloadId);
    if (!w || !bridges.has(a.networkId)) continue;
    const key = podGroupKey(w, a);
    if (!next.has(key)) next.set(key, new FixedGroup(podRecords(w, a)));
  }
  return [...next.values()];
}

/**
 * What every view lists after its workloads, in groups the DNS sync diffs once for all views:
 * each service (services are reachable from every network), the schema version, then each
 * attachment's Kubernetes pod records. `pods`: those groups as an index keeps them per change
 * (dns-pod-groups.ts; the same objects while they stay, so they are not sent again), else built here;
 * `podsDelta`: what the index changed in them since the list it handed out before (the DNS sync then
 * takes the changes instead of walking every pod group: SharedParts).
 */
export function sharedGroups(state: DesiredState, unhealthy?: ReadonlySet<string>, pods: readonly FixedGroup[] = podGroups(state), podsDelta?: PodGroupIndex["delta"]): SharedGroups<object> {
  const services = serviceGroups(state, unhealthy);
  const head: readonly object[] = [...services.list, VERSION];
  let list: readonly object[] | undefined;
  return {
    get list() {
      return (list ??= [...head, ...pods]);
    },
    fixed: (g) => g instanceof FixedGroup || services.fixed(g as Service),
    records: (g) => (g instanceof FixedGroup ? g.records : services.records(g as Service)),
    ...(podsDelta ? { parts: { head, tail: pods, ...podsDelta } } : {}),
  };
}

/** The bridge networks a workload's addresses are on, and the view it asks in. */
interface Asker {
  networks: string[];
  view: string;
}

function askers(state: DesiredState): Map<string, Asker> {
  const bridges = new Set(state.networks.filter(crossesHost).map((n) => n.id));
  const nets = new Map<string, Set<string>>();
  for (const a of state.attachments) if (bridges.has(a.networkId)) (nets.get(a.workloadId) ?? nets.set(a.workloadId, new Set()).get(a.workloadId)!).add(a.networkId);
  const out = new Map<string, Asker>();
  for (const w of state.workloads) {
    const networks = [...(nets.get(w.id) ?? [])].sort();
    if (!networks.length) continue;
    // Docker's --dns: the servers the embedded DNS forwards this workload's other names to.
    const upstreams = clusterFirst(w.dns) ? (w.dns?.nameservers ?? []) : [];
    out.set(w.id, { networks, view: viewId({ networks, namespace: w.namespace ?? DEFAULT_NAMESPACE, upstreams }) });
  }
  return out;
}

/** The workload records of each view (the part that differs between views). */
export function workloadRecords(state: DesiredState, domain: string): Map<string, DnsRecord[]> {
  const byNetwork = new Map<string, DnsRecord[]>(state.networks.filter(crossesHost).map((n) => [n.id, []]));
  const workloads = new Map(state.workloads.filter(answersDns).map((w) => [w.id, w]));
  for (const a of state.attachments) {
    const w = workloads.get(a.workloadId);
    const view = byNetwork.get(a.networkId);
    if (w && view) view.push(...attachmentRecords(w, a, domain));
  }
  const views = new Map(byNetwork);
  for (const asker of askers(state).values()) {
    if (!views.has(asker.view)) views.set(asker.view, asker.networks.flatMap((n) => byNetwork.get(n) ?? []));
  }
  return views;
}

/** A workload's names on one network: A/AAAA of its name and aliases, PTR of each address to each. */
export function attachmentRecords(w: Workload, a: Attachment, domain: string): DnsRecord[] {
  const names = [w.name, ...(a.aliases ?? [])].map((n) => `${n.toLowerCase()}.${domain}`);
  const out: DnsRecord[] = [];
  for (const name of names) {
    if (a.ip4) out.push({ name, type: "A", ttl: DNS_TTL, data: a.ip4 });
    if (a.ip6) out.push({ name, type: "AAAA", ttl: DNS_TTL, data: a.ip6 });
  }
  // The workload's own name first: getent and dig -x +short show the first PTR.
  for (const ip of [a.ip4, a.ip6]) if (ip) out.push(...names.map((data) => ({ name: reverseName(ip), type: "PTR" as const, ttl: DNS_TTL, data })));
  return out;
}

/** Kubernetes pod records: a-b-c-d.NS.pod.<zone>, and for IPv6 the address with ':' as '-' (fd00-40--3). */
export function podRecords(w: Workload, a: Attachment): DnsRecord[] {
  const zone = `${w.namespace ?? DEFAULT_NAMESPACE}.pod.${CLUSTER_DOMAIN}`;
  const out: DnsRecord[] = [];
  if (a.ip4) out.push({ name: `${a.ip4.replace(/\./g, "-")}.${zone}`, type: "A", ttl: DNS_TTL, data: a.ip4 });
  if (a.ip6) out.push({ name: `${a.ip6.toLowerCase().replace(/:/g, "-")}.${zone}`, type: "AAAA", ttl: DNS_TTL, data: a.ip6 });
  return out;
}

/**
 * Views forwarding to servers other than the host's, port 53: the workload's own (`run --dns`),
 * else those of its networks (`network create --dns`), in network order.
 */
export function viewUpstreams(state: DesiredState, known?: ReadonlySet<string>): Map<string, { address: string; port: number }[]> {
  const dns = new Map(state.networks.filter((n) => n.dns?.length).map((n) => [n.id, n.dns!]));
  const out = new Map<string, { address: string; port: number }[]>();
  // `known`: the views as an index keeps them (DnsOwnIndex), instead of a pass over every workload.
  const views = new Set([...state.networks.map((n) => n.id), ...(known ?? [...askers(state).values()].map((a) => a.view))]);
  for (const view of views) {
    const k = parseViewId(view);
    const servers = k.upstreams.length ? k.upstreams : [...new Set(k.networks.flatMap((id) => dns.get(id) ?? []))];
    if (servers.length) out.set(view, servers.map((address) => ({ address, port: 53 })));
  }
  return out;
}

/** A view as users read it: its networks' names, then its namespace and upstreams when it has them (front+back@x!10.0.0.53). */
export function viewName(id: string, networkNames: ReadonlyMap<string, string>): string {
  const k = parseViewId(id);
  return viewId({ ...k, networks: k.networks.map((n) => networkNames.get(n) ?? n) });
}

/** Client address -> the view it asks in. */
export function viewIndex(state: DesiredState): Map<string, string> {
  const index = new Map<string, string>();
  const views = askers(state);
  for (const a of state.attachments) {
    const view = views.get(a.workloadId)?.view;
    if (!view) continue;
    if (a.ip4) index.set(a.ip4, view);
    if (a.ip6) index.set(a.ip6, view);
  }
  return index;
}
