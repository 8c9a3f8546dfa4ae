// Pure: on which interfaces this host answers ARP/NDP for which addresses, from the services, the
// CiliumL2AnnouncementPolicies, this host's labels and links, and which addresses this host holds
// the announcement of (one announcer per address: in a cluster the lease holder, else this host).
import { indexEndpoints, selected } from "../services/endpoints";
import { claimLabels } from "../../model/lb/lb-ipam";
import type { L2Policy } from "../../model/lb/l2-policy";
import { serviceNamespace, type Service } from "../../model/services/service";
import type { DesiredState } from "../../model/types";
import { matchesSelector } from "../../policy";

export interface L2Link {
  name: string;
  /** Has an Ethernet address (ARP and NDP make sense on it). */
  ether: boolean;
  /** Ponton's own (bridges, workload veths, the overlay) or loopback: never chosen by default. */
  owned: boolean;
}

export interface L2Plan {
  /** Interface name → addresses it answers for (sorted); only interfaces with some. */
  interfaces: { name: string; addresses: string[] }[];
  /** Every address some policy wants announced from this node, held or not (what a lease is asked for). */
  wanted: string[];
}

/** Addresses of one service a policy announces: its LoadBalancer addresses and/or external IPs. */
function addressesOf(p: L2Policy, lb: readonly string[], external: readonly string[]): string[] {
  return [...(p.loadBalancerIPs ? lb : []), ...(p.externalIPs ? external : [])];
}

/**
 * `unhealthy`: "serviceId/workloadId" of failing endpoints. A service with externalTrafficPolicy
 * Local is announced only by a node with a ready endpoint of its own (as Cilium); Cluster ones always.
 */
export function l2Plan(state: DesiredState, policies: readonly L2Policy[], nodeLabels: Record<string, string>, links: readonly L2Link[], unhealthy: ReadonlySet<string>, holds: (ip: string) => boolean = () => true): L2Plan {
  const index = indexEndpoints(state);
  const localReady = (s: Service) => selected(s, index).some((c) => !unhealthy.has(`${s.id}/${c.workloadId}`));
  const byIf = new Map<string, Set<string>>();
  const wanted = new Set<string>();
  const mine = policies.filter((p) => !p.nodeSelector || matchesSelector(p.nodeSelector, nodeLabels));
  for (const p of mine) {
    const regexes = p.interfaces.map((r) => new RegExp(r));
    const ifs = links.filter((l) => l.ether && (regexes.length ? regexes.some((r) => r.test(l.name)) : !l.owned));
    for (const s of state.services ?? []) {
      if (!s.vip || (s.externalTrafficPolicy === "Local" && !localReady(s))) continue;
      if (p.serviceSelector && !matchesSelector(p.serviceSelector, claimLabels({ labels: s.labels ?? {}, namespace: serviceNamespace(s), name: s.name }))) continue;
      for (const ip of addressesOf(p, s.loadBalancer?.ips ?? [], s.externalIps)) {
        wanted.add(ip);
        if (!holds(ip)) continue;
        for (const l of ifs) byIf.set(l.name, (byIf.get(l.name) ?? new Set()).add(ip));
      }
    }
  }
  return {
    interfaces: [...byIf.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, ips]) => ({ name, addresses: [...ips].sort() })),
    wanted: [...wanted].sort(),
  };
}

/** The lines bin/ponton-l2 reads for a plan (native/ponton-l2: `if NAME ADDR...`, then `commit`). */
export const responderLines = (plan: L2Plan): string => [...plan.interfaces.map((i) => `if ${i.name} ${i.addresses.join(" ")}`), "commit", ""].join("\n");
