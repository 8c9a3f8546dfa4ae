// Pure: what this host's BGP speaker should announce and to whom, from the desired state, the BGP
// policies and the endpoints' health; and the FRR bgpd configuration that says it.
import { indexEndpoints, selected } from "../services/endpoints";
import { claimLabels } from "../../model/lb/lb-ipam";
import { parseIp } from "../../model/ip";
import { serviceNamespace, type Service } from "../../model/services/service";
import type { BgpNeighbor, BgpPolicy } from "../../model/lb/bgp-policy";
import type { DesiredState } from "../../model/types";
import { matchesSelector } from "../../policy";
import { crossesHost } from "../../model/networks/drivers";

export interface BgpPlan {
  /** The policy this host follows. */
  policy: string;
  localASN: number;
  neighbors: BgpNeighbor[];
  /** Prefixes announced: "10.0.10.0/32", "2001:db8::1/128", pod ranges; sorted. */
  prefixes: string[];
}

export type BgpPlanResult = { plan: BgpPlan } | { none: "NO_POLICY" } | { conflict: string[] };

/**
 * `nodeLabels`: this host's labels (policies' nodeSelector); `unhealthy`: "serviceId/workloadId" of
 * failing endpoints. A LoadBalancer address is announced while its service has a ready endpoint.
 */
export function bgpPlan(state: DesiredState, policies: readonly BgpPolicy[], nodeLabels: Record<string, string>, unhealthy: ReadonlySet<string>): BgpPlanResult {
  const mine = policies.filter((p) => !p.nodeSelector || matchesSelector(p.nodeSelector, nodeLabels));
  if (mine.length === 0) return { none: "NO_POLICY" };
  if (mine.length > 1) return { conflict: mine.map((p) => p.name).sort() };
  const policy = mine[0]!;
  const vr = policy.virtualRouters[0]!;
  const index = indexEndpoints(state);
  const ready = (s: Service) => selected(s, index).some((c) => !unhealthy.has(`${s.id}/${c.workloadId}`));
  const prefixes = new Set<string>();
  for (const s of state.services ?? []) {
    if (!s.loadBalancer?.ips.length || !vr.serviceSelector) continue;
    if (!matchesSelector(vr.serviceSelector, claimLabels({ labels: s.labels ?? {}, namespace: serviceNamespace(s), name: s.name }))) continue;
    if (!ready(s)) continue;
    for (const ip of s.loadBalancer.ips) prefixes.add(`${ip}/${parseIp(ip)!.family === 4 ? 32 : 128}`);
  }
  if (vr.exportPodCIDR) {
    for (const n of state.networks) {
      if (!crossesHost(n) || n.internal) continue;
      for (const sub of [n.subnet4, n.subnet6]) if (sub) prefixes.add(sub);
    }
  }
  return { plan: { policy: policy.name, localASN: vr.localASN, neighbors: vr.neighbors, prefixes: [...prefixes].sort() } };
}

const isV4 = (p: string) => !p.includes(":");

/** The `network` lines of one address family (what a live update adds or removes). */
export const networkLines = (prefixes: readonly string[], v4: boolean) => prefixes.filter((p) => isV4(p) === v4).map((p) => `network ${p}`);

/**
 * bgpd's configuration. Without zebra (bgpd -Z) nothing is installed in this host's routing table:
 * the speaker only announces. `no bgp network import-check`: an address is announced though no
 * route to it exists here (it is DNATed, not routed).
 */
export function frrConfig(plan: BgpPlan, routerId: string, logFile: string): string {
  const gr = plan.neighbors.some((n) => n.gracefulRestart);
  const restart = Math.max(0, ...plan.neighbors.map((n) => n.restartTimeSeconds ?? 0));
  const lines = [
    "! Written by pontond from CiliumBGPPeeringPolicy " + plan.policy + ": do not edit (rewritten on every change).",
    "frr defaults datacenter",
    "hostname ponton",
    `log file ${logFile}`,
    `router bgp ${plan.localASN}`,
    ` bgp router-id ${routerId}`,
    " no bgp ebgp-requires-policy",
    " no bgp network import-check",
    " no bgp default ipv4-unicast",
    // preserve-fw-state (the F bit): what forwards the addresses is nftables, which outlives the speaker;
    // without it a helper drops the stale routes the moment the new session opens, before the updates.
    ...(gr ? [" bgp graceful-restart", " bgp graceful-restart preserve-fw-state", ...(restart ? [` bgp graceful-restart restart-time ${restart}`] : [])] : []),
  ];
  for (const n of plan.neighbors) {
    lines.push(` neighbor ${n.peerAddress} remote-as ${n.peerASN}`);
    if (n.peerPort) lines.push(` neighbor ${n.peerAddress} port ${n.peerPort}`);
    if (n.keepAliveTimeSeconds || n.holdTimeSeconds) lines.push(` neighbor ${n.peerAddress} timers ${n.keepAliveTimeSeconds ?? 30} ${n.holdTimeSeconds ?? 90}`);
    if (n.connectRetryTimeSeconds) lines.push(` neighbor ${n.peerAddress} timers connect ${n.connectRetryTimeSeconds}`);
    if (gr && !n.gracefulRestart) lines.push(` neighbor ${n.peerAddress} graceful-restart-disable`);
  }
  for (const v4 of [true, false]) {
    const peers = plan.neighbors.filter((n) => isV4(n.peerAddress) === v4);
    if (peers.length === 0) continue;
    lines.push(` address-family ${v4 ? "ipv4" : "ipv6"} unicast`);
    for (const l of networkLines(plan.prefixes, v4)) lines.push(`  ${l}`);
    for (const n of peers) lines.push(`  neighbor ${n.peerAddress} activate`);
    lines.push(" exit-address-family");
  }
  return `${lines.join("\n")}\n`;
}

/** Can a running speaker go from one plan to the next by adding and removing networks only? */
export const sameSessions = (a: BgpPlan, b: BgpPlan) => a.localASN === b.localASN && JSON.stringify(a.neighbors) === JSON.stringify(b.neighbors);
