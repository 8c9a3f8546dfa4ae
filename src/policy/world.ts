import { NAMESPACE_NAME_LABEL } from "../model/namespaces";
import { parseAddr, type Addr } from "./plan/cidr";
import { PolicyError } from "./errors";
import type { NetworkPolicy, PolicyWorld, WorldWorkload } from "./types";

// An indexed, validated view of the world that evaluation and compilation share.

/** Kubernetes' automatic namespace label (defined with the namespace model, used by selectors here). */
export { NAMESPACE_NAME_LABEL };

export interface WorkloadView {
  key: string; // "namespace/name"
  workload: WorldWorkload;
  namespaceLabels: Readonly<Record<string, string>>;
  addrs: Addr[];
}

export interface WorldIndex {
  /** Sorted by key. */
  workloads: WorkloadView[];
  byKey: Map<string, WorkloadView>;
  /** Keyed by addrKey(). */
  byAddr: Map<string, WorkloadView>;
  /** Workloads of each namespace (sorted by key): selectors only ever look within namespaces. */
  byNamespace: Map<string, WorkloadView[]>;
}

export function addrKey(a: Addr): string {
  return `${a.family}:${a.value}`;
}

function worldError(path: string, message: string): PolicyError {
  return new PolicyError("INVALID_ARGUMENT", path, message);
}

export function indexWorld(world: PolicyWorld): WorldIndex {
  const nsLabels = new Map<string, Record<string, string>>();
  world.namespaces.forEach((ns, i) => {
    if (nsLabels.has(ns.name)) throw worldError(`world.namespaces[${i}].name`, `duplicate namespace "${ns.name}"`);
    // The automatic label wins over a stored one: namespace z never passes for x.
    nsLabels.set(ns.name, { ...ns.labels, [NAMESPACE_NAME_LABEL]: ns.name });
  });
  const byKey = new Map<string, WorkloadView>();
  const byAddr = new Map<string, WorkloadView>();
  const workloads: WorkloadView[] = [];
  world.workloads.forEach((w, i) => {
    const key = `${w.namespace}/${w.name}`;
    if (byKey.has(key)) throw worldError(`world.workloads[${i}]`, `duplicate workload "${key}"`);
    // A namespace the world does not list still exists, with only its automatic label.
    const labels = nsLabels.get(w.namespace) ?? { [NAMESPACE_NAME_LABEL]: w.namespace };
    const view: WorkloadView = { key, workload: w, namespaceLabels: labels, addrs: [] };
    w.ips.forEach((ip, j) => {
      const a = parseAddr(ip);
      if (!a) throw worldError(`world.workloads[${i}].ips[${j}]`, `"${ip}" is not an IP address`);
      const k = addrKey(a);
      const other = byAddr.get(k);
      if (other) throw worldError(`world.workloads[${i}].ips[${j}]`, `${ip} is also an address of ${other.key}`);
      byAddr.set(k, view);
      view.addrs.push(a);
    });
    w.ports.forEach((p, j) => {
      if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) throw worldError(`world.workloads[${i}].ports[${j}].port`, `${p.port} must be between 1 and 65535`);
    });
    byKey.set(key, view);
    workloads.push(view);
  });
  workloads.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const byNamespace = new Map<string, WorkloadView[]>();
  for (const v of workloads) pushTo(byNamespace, v.workload.namespace, v);
  return { workloads, byKey, byAddr, byNamespace };
}

/** Appends `value` to the list under `key` (grouping in one pass, order kept). */
export function pushTo<T>(m: Map<string, T[]>, key: string, value: T): void {
  const list = m.get(key);
  if (list) list.push(value);
  else m.set(key, [value]);
}

/** NetworkPolicy "ns/name"; Cilium kinds are prefixed (":" is not allowed in names, so keys never collide). */
export function policyKey(p: Pick<NetworkPolicy, "kind" | "namespace" | "name">): string {
  // Kept per frozen policy (the store's): sorting and grouping 1,000 policies asks for it ~20,000 times.
  const frozen = Object.isFrozen(p);
  const hit = frozen ? keyMemo.get(p) : undefined;
  if (hit !== undefined) return hit;
  const key =
    p.kind === "CiliumNetworkPolicy" ? `cnp:${p.namespace}/${p.name}`
    : p.kind === "CiliumClusterwideNetworkPolicy" ? `ccnp:${p.name}`
    : p.kind === "AdminNetworkPolicy" ? `anp:${p.name}`
    : p.kind === "BaselineAdminNetworkPolicy" ? `banp:${p.name}`
    : `${p.namespace}/${p.name}`;
  if (frozen) keyMemo.set(p, key);
  return key;
}
const keyMemo = new WeakMap<object, string>();

/** Cilium's view of an endpoint's labels: its own, its namespace, and its namespace's labels. */
export function endpointLabels(w: WorkloadView): Record<string, string> {
  const hit = endpointLabelMemo.get(w);
  if (hit) return hit;
  const out: Record<string, string> = { ...w.workload.labels, [CILIUM_NAMESPACE_LABEL]: w.workload.namespace };
  for (const k in w.namespaceLabels) out[`${CILIUM_NAMESPACE_LABELS_PREFIX}${k}`] = w.namespaceLabels[k]!;
  endpointLabelMemo.set(w, out);
  return out;
}
const endpointLabelMemo = new WeakMap<WorkloadView, Record<string, string>>();

export const CILIUM_NAMESPACE_LABEL = "io.kubernetes.pod.namespace";
export const CILIUM_NAMESPACE_LABELS_PREFIX = "io.cilium.k8s.namespace.labels.";

/** Policies sorted by "namespace/name": the order that ranks rules everywhere. */
export function sortPolicies(policies: readonly NetworkPolicy[]): NetworkPolicy[] {
  const keyed = policies.map((p) => ({ p, key: policyKey(p) })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (let i = 1; i < keyed.length; i++) {
    if (keyed[i]!.key === keyed[i - 1]!.key) throw new PolicyError("POLICY_INVALID", "metadata.name", `duplicate policy ${keyed[i]!.key}`);
  }
  return keyed.map((k) => k.p);
}
