// Pure: the service map of one namespace. Workloads grouped by template (replicas) or app label,
// services, and outside peers are nodes; observed flows are edges. Deterministic: nodes sorted by
// name and placed in columns (clients left, servers right), so the same data draws the same map.
import { l7Request } from "./l7-label";
import type { Endpoint, Flow, Service, Workload } from "./types";

export interface MapNode {
  id: string;
  label: string;
  kind: "group" | "service" | "outside";
  members: string[];
  x: number;
  y: number;
}

export interface MapEdge {
  id: string;
  /** "selects": a service and the group of an endpoint it balances to (not a flow). */
  kind: "flow" | "selects";
  from: string;
  to: string;
  ports: string[];
  /** Distinct HTTP requests or DNS names seen on the edge (at most L7_PER_EDGE). */
  l7: string[];
  forwarded: number;
  dropped: number;
  policies: string[];
  last?: Flow;
}

export const NODE_W = 170;
const L7_PER_EDGE = 10;
export const NODE_H = 46;

export function groupOf(w: { name: string; replicaOf?: string; labels?: Record<string, string> }): string {
  return w.replicaOf ?? w.labels?.app ?? w.name;
}

/** The map of every namespace at once. */
export const ALL = "*";
const inView = (ns: string, x: string | undefined) => ns === ALL || x === ns;
// Across namespaces a group is named with its namespace.
const groupId = (ns: string, w: { namespace: string }, g: string) => `grp:${ns === ALL ? `${w.namespace}/` : ""}${g}`;

function nodeIdOf(e: Endpoint, byName: Map<string, Workload>, ns: string): string {
  if (e.service && inView(ns, e.namespace ?? "default")) return `svc:${ns === ALL ? `${e.namespace ?? "default"}/` : ""}${e.service}`;
  if (e.workload) {
    if (!inView(ns, e.namespace)) return `out:${e.namespace}/${e.workload}`;
    const w = byName.get(e.workload);
    return groupId(ns, { namespace: e.namespace! }, w ? groupOf(w) : e.workload);
  }
  return `out:${e.host ? "host" : e.ip}`;
}

/** "80/tcp", "icmp", or "proto 2" for a protocol without a name. */
export function portLabel(f: Flow): string {
  const proto = /^\d+$/.test(f.protocol) ? `proto ${f.protocol}` : f.protocol;
  return f.destination.port !== undefined ? `${f.destination.port}/${proto}` : proto;
}

export function buildMap(ns: string, workloads: readonly Workload[], services: readonly Service[], flows: readonly Flow[]): { nodes: MapNode[]; edges: MapEdge[]; width: number; height: number } {
  const mine = workloads.filter((w) => inView(ns, w.namespace));
  const byName = new Map(mine.map((w) => [w.name, w]));
  const nodes = new Map<string, Omit<MapNode, "x" | "y">>();
  for (const w of mine) {
    const id = groupId(ns, w, groupOf(w));
    const n = nodes.get(id) ?? { id, label: id.slice(4), kind: "group" as const, members: [] };
    n.members.push(w.name);
    nodes.set(n.id, n);
  }
  for (const s of services.filter((s) => inView(ns, s.namespace))) {
    const id = `svc:${ns === ALL ? `${s.namespace}/` : ""}${s.name}`;
    nodes.set(id, { id, label: id.slice(4), kind: "service", members: s.endpoints.map((e) => e.workload) });
  }
  const edges = new Map<string, MapEdge>();
  for (const f of flows) {
    if (!inView(ns, f.source.namespace) && !inView(ns, f.destination.namespace)) continue;
    const from = nodeIdOf(f.source, byName, ns);
    const to = nodeIdOf(f.destination, byName, ns);
    for (const id of [from, to]) if (!nodes.has(id)) nodes.set(id, { id, label: id.slice(4), kind: "outside", members: [] });
    const key = `${from}>${to}`;
    const e = edges.get(key) ?? { id: key, kind: "flow" as const, from, to, ports: [] as string[], l7: [] as string[], forwarded: 0, dropped: 0, policies: [], last: f };
    const port = portLabel(f);
    if (!e.ports.includes(port)) e.ports.push(port);
    const request = l7Request(f);
    if (request && e.l7.length < L7_PER_EDGE && !e.l7.includes(request)) e.l7.push(request);
    if (f.verdict === "FORWARDED") e.forwarded++;
    else e.dropped++;
    for (const p of f.policies) if (!e.policies.includes(p)) e.policies.push(p);
    e.last = f;
    edges.set(key, e);
  }
  for (const s of services.filter((s) => inView(ns, s.namespace))) {
    const from = `svc:${ns === ALL ? `${s.namespace}/` : ""}${s.name}`;
    for (const ep of s.endpoints) {
      const w = byName.get(ep.workload);
      if (!w) continue;
      const to = groupId(ns, w, groupOf(w));
      const id = `${from}~>${to}`;
      if (!edges.has(id)) edges.set(id, { id, kind: "selects", from, to, ports: (s.ports ?? []).map((p) => `${p.port}/${(p.protocol ?? "tcp").toLowerCase()}`), l7: [], forwarded: 0, dropped: 0, policies: [] });
    }
  }
  // Column: 0 for nodes that only send, 2 for those that only receive, 1 otherwise. Nodes without
  // flows go in rows below, so no edge is drawn across them.
  const sends = new Set([...edges.values()].map((e) => e.from));
  const receives = new Set([...edges.values()].map((e) => e.to));
  const column = (id: string) => (sends.has(id) && !receives.has(id) ? 0 : receives.has(id) && !sends.has(id) ? 2 : 1);
  const all = [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id));
  const linked = all.filter((n) => sends.has(n.id) || receives.has(n.id)).sort((a, b) => column(a.id) - column(b.id) || a.id.localeCompare(b.id));
  const rows = [0, 0, 0];
  const placed: MapNode[] = linked.map((n) => {
    const c = column(n.id);
    return { ...n, x: 20 + c * (NODE_W + 120), y: 20 + rows[c]!++ * (NODE_H + 30) };
  });
  const top = 20 + Math.max(0, ...rows) * (NODE_H + 30) + (linked.length ? 20 : 0);
  const alone = all.filter((n) => !sends.has(n.id) && !receives.has(n.id));
  alone.forEach((n, i) => placed.push({ ...n, x: 20 + (i % 4) * (NODE_W + 20), y: top + Math.floor(i / 4) * (NODE_H + 20) }));
  const height = top + Math.ceil(alone.length / 4) * (NODE_H + 20) + 20;
  return { nodes: placed, edges: [...edges.values()].sort((a, b) => a.id.localeCompare(b.id)), width: 40 + 3 * NODE_W + 240, height: Math.max(height, 120) };
}
