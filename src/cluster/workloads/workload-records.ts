// Pure: a node's workloads on cluster networks as records for etcd, and the records of the other
// nodes merged into a node's desired state, so that services, DNS and NetworkPolicy compile over
// the whole cluster's workloads exactly as over local ones.
import { DEFAULT_NAMESPACE, type Attachment, type DeclaredPort, type DesiredState, type Workload } from "../../model/types";

/** Marks a node's local piece of a cluster network (the daemon labels the bridge network it makes). */
export const CLUSTER_NETWORK_LABEL = "ponton.cluster/network";

/** One workload of one node, as every other node sees it (/ponton/workloads/NODE/ID). */
export interface WorkloadRecord {
  node: string;
  id: string;
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** Its addresses on cluster networks (by the cluster network's name). */
  /** (IPv6-only networks: no ip4.) */
  addresses: { network: string; ip4?: string; ip6?: string }[];
  exposes?: DeclaredPort[];
  hostname?: string;
}

/** Workloads that serve (running or starting) with an address on a cluster network. */
export function localRecords(state: DesiredState, node: string): WorkloadRecord[] {
  const clusterNets = new Map(state.networks.filter((n) => n.labels[CLUSTER_NETWORK_LABEL]).map((n) => [n.id, n.labels[CLUSTER_NETWORK_LABEL]!]));
  const byWorkload = new Map<string, Attachment[]>();
  for (const a of state.attachments) if (clusterNets.has(a.networkId) && (a.ip4 || a.ip6)) byWorkload.set(a.workloadId, [...(byWorkload.get(a.workloadId) ?? []), a]);
  const out: WorkloadRecord[] = [];
  for (const w of state.workloads) {
    if (w.state !== "running" && w.state !== "creating") continue;
    const atts = byWorkload.get(w.id);
    if (!atts) continue;
    out.push({
      node,
      id: w.id,
      name: w.name,
      namespace: w.namespace ?? DEFAULT_NAMESPACE,
      labels: w.labels,
      addresses: atts.sort((x, y) => x.index - y.index).map((a) => ({ network: clusterNets.get(a.networkId)!, ...(a.ip4 ? { ip4: a.ip4 } : {}), ...(a.ip6 ? { ip6: a.ip6 } : {}) })),
      ...(w.exposes ? { exposes: w.exposes } : {}),
      ...(w.hostname ? { hostname: w.hostname } : {}),
    });
  }
  return out;
}

/** The workload id a remote record takes in a node's state: never one of the node's own ids. */
export const remoteId = (r: Pick<WorkloadRecord, "node" | "id">) => `${r.node}/${r.id}`;

/**
 * The state with the other nodes' workloads added: each on this node's piece of its cluster network
 * (same name), running, no published ports. A name its namespace already has (a local workload, or
 * one of another node) becomes NAME-NODE, so names stay unique per namespace as everything expects.
 */
export function withRemoteWorkloads(state: DesiredState, records: Iterable<WorkloadRecord>, self: string): DesiredState {
  const pieces = new Map(state.networks.filter((n) => n.labels[CLUSTER_NETWORK_LABEL]).map((n) => [n.labels[CLUSTER_NETWORK_LABEL]!, n]));
  const remote = [...records].filter((r) => r.node !== self).sort((a, b) => (a.node === b.node ? cmp(a.name, b.name) || cmp(a.id, b.id) : cmp(a.node, b.node)));
  if (remote.length === 0 || pieces.size === 0) return state;
  const taken = new Set(state.workloads.map((w) => `${w.namespace ?? DEFAULT_NAMESPACE}/${w.name}`));
  // An address has one holder (the policy world refuses two): a stale record never shadows a live one.
  const held = new Set(state.attachments.flatMap((a) => [a.ip4, a.ip6].filter((x): x is string => x !== undefined)));
  const workloads: Workload[] = [];
  const attachments: Attachment[] = [];
  for (const r of remote) {
    const atts = r.addresses.flatMap((a, index) => {
      const n = pieces.get(a.network);
      if (!n) return [];
      // Each family only on a piece that has it (a node that has not yet made a dual-stack piece sees IPv4 alone).
      const ip4 = a.ip4 && n.subnet4 ? { ip4: a.ip4 } : {};
      const ip6 = a.ip6 && n.subnet6 ? { ip6: a.ip6 } : {};
      const own = [ip4.ip4, ip6.ip6].filter((x): x is string => x !== undefined);
      if (own.length === 0 || own.some((x) => held.has(x))) return [];
      for (const x of own) held.add(x);
      return [{ workloadId: remoteId(r), networkId: n.id, ifname: `eth${index}`, hostIfname: "", mac: "", ...ip4, ...ip6, index }];
    });
    if (atts.length === 0) continue;
    const name = taken.has(`${r.namespace}/${r.name}`) ? `${r.name}-${r.node}` : r.name;
    taken.add(`${r.namespace}/${name}`);
    workloads.push({
      id: remoteId(r),
      name,
      labels: r.labels,
      namespace: r.namespace,
      netnsMode: "path",
      netns: "",
      command: [],
      env: {},
      restart: "no",
      routes: [],
      ports: [],
      state: "running",
      createdAt: "",
      node: r.node,
      ...(r.exposes ? { exposes: r.exposes } : {}),
      ...(r.hostname ? { hostname: r.hostname } : {}),
    });
    attachments.push(...atts);
  }
  return { ...state, workloads: [...state.workloads, ...workloads], attachments: [...state.attachments, ...attachments] };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
