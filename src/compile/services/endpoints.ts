// Which workloads back a service right now: selector match, alive, healthy, and an address of the
// service half's family on the attachment chosen (IPv4 half: its IPv4 address, IPv6 half: its IPv6 one).
import { createHash } from "node:crypto";
import { DEFAULT_NAMESPACE, type Attachment, type DeclaredPort, type DesiredState, type Network, type Workload } from "../../model/types";
import { selectorMatches, serviceNamespace, targetPortOn, type Service, type ServicePort, type ServiceRuntime } from "../../model/services/service";
import type { IpFamily } from "../../model/services/service-families";
import { crossesHost } from "../../model/networks/drivers";
import { candidateOrder, EndpointIndexDelta } from "./endpoint-index-delta";

export interface Endpoint {
  workloadId: string;
  name: string;
  /** The endpoint's address in the family of the service half it serves. */
  ip: string;
  weight: number;
  /** The target port on this endpoint (set per service port by portEndpoints). */
  port: number;
  exposes?: readonly DeclaredPort[];
  /** Identity of what the compile reads from the workload (memo keys; see Candidate.key). */
  key: string;
}

/** Index of state used by every service: built once per compile. */
export interface EndpointIndex {
  candidates: Candidate[];
  /** Candidates by "namespace\0key=value", in candidates' order: a selector reads one list, not all workloads. */
  byLabel: Map<string, Candidate[]>;
  /** Kept per change (endpoint-index-delta.ts): the index this one was made from and the label lists that changed since. */
  changed?: { from: EndpointIndex; lists: ReadonlySet<string> };
}

export interface Candidate {
  workloadId: string;
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** IPv4 address (absent on an IPv6-only network). */
  ip?: string;
  /** IPv6 address on the same attachment. */
  ip6?: string;
  exposes?: readonly DeclaredPort[];
  /** Everything above a compile reads, as one string: unchanged services are recognised without JSON. */
  key: string;
  /**
   * A digest of the labels, made once per compile: each of the workload's label lists compares it,
   * and comparing the whole map there cost O(labels²) per workload (16.8 s at 10,000 labels).
   */
  labelsDigest: string;
}

/** As Kubernetes: a selector picks workloads of the service's own namespace only. */
function selects(s: Service, c: Candidate): boolean {
  return c.namespace === serviceNamespace(s) && selectorMatches(s.selector, c.labels);
}

/**
 * The store hands out the same frozen labels object until the workload is written: its digest is
 * made once, not once per workload per compile (a sha1 per workload on every change).
 */
const digests = new WeakMap<object, string>();
function digestOf(labels: Record<string, string>): string {
  // Only a frozen object cannot change under its memo (a test's own state may be edited in place).
  if (!Object.isFrozen(labels)) return createHash("sha1").update(JSON.stringify(labels)).digest("base64");
  let d = digests.get(labels);
  if (d === undefined) digests.set(labels, (d = createHash("sha1").update(JSON.stringify(labels)).digest("base64")));
  return d;
}

/**
 * One change reads the index up to five times (the services' nft compile, their DNS records, L2 and BGP
 * plans, the services monitor), and building it visits every workload: the store's lists are frozen
 * and shared until a write, so the index is kept and moved by the workloads a write changed.
 */
const delta = new EndpointIndexDelta(candidateOf, (c) => Object.keys(c.labels).map((k) => labelKey(c.namespace, k, c.labels[k]!)));

export function indexEndpoints(state: DesiredState): EndpointIndex {
  // Only frozen lists cannot change under the memo (a test's own state may be edited in place).
  if (!Object.isFrozen(state.workloads) || !Object.isFrozen(state.attachments)) return buildEndpointIndex(state);
  return delta.update(state, state.networks.map((n) => `${n.id} ${n.driver} ${n.internal}`).join("\n"));
}

/** The candidate of one workload: alive, with a usable attachment (undefined otherwise). */
function candidateOf(w: Workload, attachments: readonly Attachment[], networks: ReadonlyMap<string, Network>): Candidate | undefined {
  // 'creating' counts: the record turns 'running' without another sync once its process started.
  if (w.state !== "running" && w.state !== "creating") return undefined;
  // Same choice as published ports: the first non-internal bridge attachment with IPv4; a workload
  // only on IPv6-only networks serves from its first such attachment (IPv6 halves only).
  const usable = [...attachments]
    .sort((x, y) => x.index - y.index)
    .filter((x) => crossesHost(networks.get(x.networkId)) && !networks.get(x.networkId)?.internal);
  const a = usable.find((x) => x.ip4) ?? usable.find((x) => x.ip6);
  if (!a) return undefined;
  return {
    workloadId: w.id,
    name: w.name,
    namespace: w.namespace ?? DEFAULT_NAMESPACE,
    labels: w.labels,
    ...(a.ip4 ? { ip: a.ip4 } : {}),
    ...(a.ip6 ? { ip6: a.ip6 } : {}),
    ...(w.exposes ? { exposes: w.exposes } : {}),
    key: `${w.id} ${w.name} ${a.ip4} ${a.ip6 ?? ""} ${w.exposes ? JSON.stringify(w.exposes) : ""}`,
    labelsDigest: digestOf(w.labels),
  };
}

/** The whole index from scratch (unfrozen lists; the reference the kept one is tested against). */
export function buildEndpointIndex(state: DesiredState): EndpointIndex {
  const networks = new Map<string, Network>(state.networks.map((n) => [n.id, n]));
  const byWorkload = new Map<string, Attachment[]>();
  for (const a of state.attachments) byWorkload.set(a.workloadId, [...(byWorkload.get(a.workloadId) ?? []), a]);
  const candidates: EndpointIndex["candidates"] = [];
  for (const w of state.workloads) {
    const c = candidateOf(w, byWorkload.get(w.id) ?? [], networks);
    if (c) candidates.push(c);
  }
  candidates.sort(candidateOrder);
  const byLabel = new Map<string, Candidate[]>();
  for (const c of candidates) {
    for (const k in c.labels) {
      const at = labelKey(c.namespace, k, c.labels[k]!);
      const list = byLabel.get(at);
      if (list) list.push(c);
      else byLabel.set(at, [c]);
    }
  }
  return { candidates, byLabel };
}

const labelKey = (namespace: string, key: string, value: string) => `${namespace}\0${key}=${value}`;

/**
 * The label list a service's selection is read from: the shortest of its selector's pairs, or
 * undefined for an empty selector (which selects nothing). Every selected candidate is in it, so
 * the selection can only change when that list (its members or their labels and addresses) does.
 */
export function selectionList(s: Service, index: EndpointIndex): string | undefined {
  let shortest: { key: string; size: number } | undefined;
  for (const k in s.selector) {
    const key = labelKey(serviceNamespace(s), k, s.selector[k]!);
    const size = index.byLabel.get(key)?.length ?? 0;
    if (!shortest || size < shortest.size) shortest = { key, size };
  }
  return shortest?.key;
}

/** The candidates a service's selector picks (its namespace only). */
export function selected(s: Service, index: EndpointIndex): Candidate[] {
  const list = selectionList(s, index);
  return list === undefined ? [] : (index.byLabel.get(list) ?? []).filter((c) => selects(s, c));
}

/** Ready endpoints of a service in one family, sorted by workload name (the compile is deterministic). */
export function serviceEndpoints(s: Service, index: EndpointIndex, runtime: ServiceRuntime, family: IpFamily = "IPv4"): Endpoint[] {
  const out: Endpoint[] = [];
  for (const c of selected(s, index)) {
    const ip = family === "IPv4" ? c.ip : c.ip6;
    if (!ip || runtime.unhealthy.has(`${s.id}/${c.workloadId}`)) continue;
    out.push({ workloadId: c.workloadId, name: c.name, ip, weight: s.weights[c.name] ?? 1, port: 0, ...(c.exposes ? { exposes: c.exposes } : {}), key: c.key });
  }
  return out;
}

/** The endpoints of one service port, each with its target port; those that lack a named target port are left out. */
export function portEndpoints(p: ServicePort, eps: Endpoint[]): Endpoint[] {
  const out: Endpoint[] = [];
  for (const e of eps) {
    const port = targetPortOn(p, e.exposes);
    if (port !== undefined) out.push({ ...e, port });
  }
  return out;
}
