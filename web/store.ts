// Everything the views read: the objects (polled every few seconds) and the flow buffer (fed by
// server-sent events). Views re-render at most once per animation frame, however fast flows come.
import { useEffect, useState } from "preact/hooks";
import type { ClusterNode, Flow, Namespace, Network, Policy, Service, Tunnel, Workload } from "./types";
import { mergeFlows } from "./flow-buffer";
import { queryRate, type QuerySample } from "./query-rate";

export const FLOW_BUFFER = 10_000;
/** Flows fetched before the whole buffer, so the table draws at once: the rows it shows (flows.tsx). */
const FIRST_PAGE = 200;
const POLL_MS = 3000;

export interface Rates {
  flowsPerSec: number;
  dropsByReason: Record<string, number>;
  /** From the DNS server's own query counter, between two polls. */
  dnsPerSec: number;
}

let lastQueries: QuerySample | undefined;

export const store = {
  workloads: [] as Workload[],
  networks: [] as Network[],
  services: [] as Service[],
  policies: [] as Policy[],
  namespaces: [] as Namespace[],
  /** Empty on a single host. */
  nodes: [] as ClusterNode[],
  tunnels: [] as Tunnel[],
  flows: [] as Flow[],
  /** Records the server skipped because this page read too slowly. */
  lost: 0,
  paused: false,
  connected: false,
  error: "",
  rates: { flowsPerSec: 0, dropsByReason: {}, dnsPerSec: 0 } as Rates,
  version: 0,
};

const listeners = new Set<() => void>();
let scheduled = false;

export function changed(): void {
  store.version++;
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    for (const l of listeners) l();
  });
}

/** Re-render the calling component when the store changes. */
export function useStore(): typeof store {
  const [, set] = useState(0);
  useEffect(() => {
    const l = () => set(store.version);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return store;
}

export async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(path, { credentials: "same-origin", ...init });
  const body = await res.json();
  if (!res.ok) throw new Error(body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`);
  return body as T;
}

function addFlows(records: Flow[]): void {
  if (store.paused || records.length === 0) return;
  store.flows = mergeFlows(store.flows, records, FLOW_BUFFER);
  changed();
}

async function poll(): Promise<void> {
  try {
    const [workloads, services, policies, namespaces, networks, info] = await Promise.all([
      api<Workload[]>("/v1/workloads"),
      api<Service[]>("/v1/services"),
      api<Policy[]>("/v1/policies"),
      api<Namespace[]>("/v1/namespaces"),
      api<Network[]>("/v1/networks"),
      api<{ dns?: { counters?: { queries: number } } }>("/v1/info"),
    ]);
    Object.assign(store, { workloads, services, policies, namespaces, networks, error: "" });
    // A single host's UI server answers both with no nodes.
    [store.nodes, store.tunnels] = await Promise.all([api<ClusterNode[]>("/v1/nodes"), api<Tunnel[]>("/v1/tunnels")]);
    const sample = { queries: info.dns?.counters?.queries ?? 0, at: Date.now() };
    store.rates = { ...rates(store.flows, sample.at), dnsPerSec: queryRate(lastQueries, sample) };
    lastQueries = sample;
  } catch (e) {
    store.error = (e as Error).message;
  }
  changed();
}

/** Flow rates over the last 10 s of the buffer (the daemon's counters are totals since it started). */
export function rates(flows: readonly Flow[], now: number): Omit<Rates, "dnsPerSec"> {
  const since = now - 10_000;
  let n = 0;
  const drops: Record<string, number> = {};
  for (let i = flows.length - 1; i >= 0; i--) {
    const f = flows[i]!;
    if (Date.parse(f.time) < since) break;
    n++;
    if (f.verdict !== "FORWARDED") drops[f.dropReason ?? "UNKNOWN"] = (drops[f.dropReason ?? "UNKNOWN"] ?? 0) + 1;
  }
  return { flowsPerSec: n / 10, dropsByReason: drops };
}

export async function start(): Promise<void> {
  // The objects, the newest flows and the whole buffer load side by side; the first two draw the
  // page, the buffer (megabytes at 10,000 records) fills in behind them.
  const firstPage = api<Flow[]>(`/v1/flows?limit=${FIRST_PAGE}`);
  const buffer = api<Flow[]>(`/v1/flows?limit=${FLOW_BUFFER}`);
  await poll();
  setInterval(poll, POLL_MS);
  try {
    addFlows(await firstPage);
    addFlows(await buffer);
  } catch (e) {
    store.error = (e as Error).message;
  }
  const events = new EventSource("/ui/v1/events");
  events.onopen = () => {
    store.connected = true;
    changed();
  };
  events.onerror = () => {
    store.connected = false;
    changed();
  };
  events.addEventListener("flows", (e) => {
    const { records, lost } = JSON.parse((e as MessageEvent).data) as { records: Flow[]; lost: number };
    store.lost += lost;
    // The stream may repeat what the first fetches already had: merged by sequence number.
    addFlows(records);
  });
}

export function togglePause(): void {
  store.paused = !store.paused;
  changed();
}
