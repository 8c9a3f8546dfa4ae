// What the API shows: records joined with their network names, addresses and reachability.
import { etcFilesOf, etcNetnsName } from "./dns/netns-etc";
import { formatDeclaredPort } from "../model/workloads/declared-ports";
import { hostAccessOf, portTarget } from "../compile";
import { formatPort, wildcardFamily } from "../model/ports";
import type { Network, PortMapping, Workload } from "../model/types";
import type { Store } from "../store";
import { crossesHost } from "../model/networks/drivers";

export interface PortView {
  workload: string;
  spec: string;
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: string;
  target?: string;
  reachableFrom: string;
}

export function reachability(p: PortMapping): string {
  const wildcard = wildcardFamily(p.hostIp);
  const where = p.hostIp === undefined
    ? "every host address (incl. 127.0.0.1 and ::1), other hosts, and workloads via their gateway"
    : wildcard
      ? `every IPv${wildcard} host address (incl. ${wildcard === 4 ? "127.0.0.1" : "::1"}), other hosts, and workloads via their gateway`
      : p.hostIp.startsWith("127.") || p.hostIp === "::1"
        ? "this host only (loopback)"
        : `host address ${p.hostIp} only`;
  return p.allowFrom.length ? `${where}; clients restricted to ${p.allowFrom.join(", ")}` : where;
}

export function workloadView(store: Store, w: Workload, networks: Map<string, Network>, netnsEtcDir = "/etc/netns") {
  const atts = store.attachmentsOf(w.id);
  const target4 = portTarget(atts, networks, 4);
  return {
    id: w.id,
    name: w.name,
    state: w.state,
    labels: w.labels,
    namespace: w.namespace ?? "default",
    exposes: (w.exposes ?? []).map(formatDeclaredPort),
    netnsMode: w.netnsMode,
    netns: w.netnsMode === "owned" ? `/run/netns/${w.netns}` : w.netns || "host",
    /** Its name under /run/netns: its own, or the named one it was given. */
    netnsName: etcNetnsName(w),
    /** Where its resolv.conf and hosts are (or who owns them). */
    etcFiles: etcFilesOf(netnsEtcDir, w),
    command: w.command,
    restart: w.restart,
    pid: w.pid,
    exitCode: w.exitCode,
    createdAt: w.createdAt,
    project: w.project,
    replicaOf: w.replicaOf,
    routes: w.routes,
    networks: atts.map((a) => {
      const n = networks.get(a.networkId)!;
      return { network: n.name, ifname: a.ifname, hostIfname: a.hostIfname, mac: a.mac, ip4: a.ip4, ip6: a.ip6, gateway4: n.gateway4, gateway6: n.gateway6, ...(a.aliases ? { aliases: a.aliases } : {}) };
    }),
    ports: w.ports.map((p) => ({ ...p, spec: formatPort(p), target: target4?.ip4, reachableFrom: reachability(p) })),
  };
}

export function networkView(store: Store, n: Network) {
  const workloads = new Map(store.workloads().map((w) => [w.id, w.name]));
  return {
    ...n,
    ...(crossesHost(n) ? { hostAccess: hostAccessOf(n) } : {}),
    workloads: store.attachmentsOn(n.id).map((a) => ({ name: workloads.get(a.workloadId), ip4: a.ip4, ip6: a.ip6, mac: a.mac })),
  };
}

export function portViews(store: Store, networks: Map<string, Network>): PortView[] {
  return store.workloads().flatMap((w) => {
    const atts = store.attachmentsOf(w.id);
    return w.ports.map((p) => {
      const t = portTarget(atts, networks, p.hostIp?.includes(":") ? 6 : 4);
      const target = t ? (p.hostIp?.includes(":") ? t.ip6 : t.ip4) : undefined;
      return {
        workload: w.name,
        spec: formatPort(p),
        hostIp: p.hostIp ?? "0.0.0.0/::",
        hostPort: p.hostPort,
        containerPort: p.containerPort,
        protocol: p.protocol,
        ...(target ? { target: `${target}:${p.containerPort}` } : {}),
        reachableFrom: reachability(p),
      };
    });
  });
}
