// Pure: LoadBalancer addresses from pools (Cilium's LB IPAM). The whole assignment is computed at
// once from the pools and every LoadBalancer service, so it is deterministic: addresses already
// held stay (first pass, oldest service first), then the others get a requested, preferred, shared
// or the lowest free address of the first matching pool by name.
import { matchesSelector } from "../../policy";
import { formatIp, parseIp, type Family } from "../ip";
import { blockRange, poolHolds, type LbPool } from "./lb-pool";

/** One LoadBalancer service as the allocator sees it. */
export interface LbClaim {
  id: string;
  /** How messages name it ("web", "shop/web"). */
  ref: string;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /** Its VIP families: it gets at most one address of each. */
  families: Family[];
  ports: { protocol: string; port: number }[];
  /** loadBalancerIP / lbipam.cilium.io/ips: exactly these, or pending. */
  requested: string[];
  /** Addresses it reported before (status.loadBalancer.ingress): taken when free. */
  preferred: string[];
  /** lbipam.cilium.io/sharing-key: same key, same namespace, no common port = one address. */
  sharingKey?: string;
  /** What it holds now (kept while still valid). */
  held: string[];
  /** Sort key: older services keep priority (createdAt, then ref). */
  order: string;
}

export type LbPendingCode = "NO_POOL" | "POOL_EXHAUSTED" | "ADDRESS_TAKEN" | "NOT_IN_POOL" | "FAMILY_UNAVAILABLE";

export interface LbResult {
  ips: string[];
  /** Why it has no address (only when ips is empty). */
  pending?: { code: LbPendingCode; reason: string };
}

/** Labels a pool's serviceSelector sees: the service's own plus Cilium's name and namespace labels. */
export const claimLabels = (c: Pick<LbClaim, "labels" | "namespace" | "name">): Record<string, string> => ({
  ...c.labels,
  "io.kubernetes.service.namespace": c.namespace,
  "io.kubernetes.service.name": c.name,
});

const familyOf = (ip: string): Family => parseIp(ip)!.family;
const familyName = (f: Family) => (f === 4 ? "IPv4" : "IPv6");

/**
 * `blocked(ip, claim)`: an address something other than a LoadBalancer service holds for this claim
 * (a network's subnet, a VIP, an external IP on one of its ports).
 */
export function assignLbAddresses(pools: readonly LbPool[], claims: readonly LbClaim[], blocked: (ip: string, c: LbClaim) => boolean): Map<string, LbResult> {
  const sorted = [...pools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const ordered = [...claims].sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
  const holders = new Map<string, LbClaim[]>();
  const out = new Map<string, LbResult>(ordered.map((c) => [c.id, { ips: [] }]));

  const selects = (p: LbPool, c: LbClaim) => !p.serviceSelector || matchesSelector(p.serviceSelector, claimLabels(c));
  const poolsHolding = (ip: string) => {
    const v = parseIp(ip)!;
    return sorted.filter((p) => poolHolds(p, v.family, v.value));
  };
  const shares = (h: LbClaim, c: LbClaim) =>
    h.sharingKey !== undefined && h.sharingKey === c.sharingKey && h.namespace === c.namespace && !h.ports.some((p) => c.ports.some((q) => q.protocol === p.protocol && q.port === p.port));
  const free = (ip: string, c: LbClaim) => !blocked(ip, c) && (holders.get(ip) ?? []).every((h) => shares(h, c));
  const hold = (ip: string, c: LbClaim) => {
    holders.set(ip, [...(holders.get(ip) ?? []), c]);
    out.get(c.id)!.ips.push(ip);
  };
  const hasFamily = (c: LbClaim, f: Family) => out.get(c.id)!.ips.some((ip) => familyOf(ip) === f);
  /** A requested address no pool holds is the user's own, served as given (as before pools existed). */
  const ownAddress = (ip: string) => poolsHolding(ip).length === 0;

  // First pass: what each service holds stays, while its pool (enabled or not) still selects it.
  for (const c of ordered) {
    for (const ip of c.held) {
      const f = familyOf(ip);
      if (!c.families.includes(f) || hasFamily(c, f)) continue;
      if (c.requested.length && !c.requested.includes(ip)) continue;
      const inPool = poolsHolding(ip).some((p) => selects(p, c)) || (c.requested.includes(ip) && ownAddress(ip));
      if (inPool && free(ip, c)) hold(ip, c);
    }
  }

  for (const c of ordered) {
    const r = out.get(c.id)!;
    const pend = (code: LbPendingCode, reason: string) => {
      r.pending ??= { code, reason };
    };
    if (c.requested.length) {
      for (const ip of c.requested) {
        const f = familyOf(ip);
        if (r.ips.includes(ip)) continue;
        if (!c.families.includes(f)) pend("FAMILY_UNAVAILABLE", `requested address ${ip} is ${familyName(f)} but the service has no ${familyName(f)} VIP`);
        else if (!ownAddress(ip) && !poolsHolding(ip).some((p) => selects(p, c) && !p.disabled)) {
          const p = poolsHolding(ip)[0]!;
          pend("NOT_IN_POOL", `requested address ${ip} is in pool ${p.name}, which ${p.disabled ? "is disabled" : "does not select the service"}`);
        } else if (!free(ip, c)) {
          const h = holders.get(ip)?.[0];
          pend("ADDRESS_TAKEN", `requested address ${ip} is taken${h ? ` by service ${h.ref}` : " (a VIP, an external IP or a network's subnet)"}`);
        } else hold(ip, c);
      }
      if (r.ips.length) delete r.pending;
      continue;
    }
    for (const f of c.families) {
      if (hasFamily(c, f)) continue;
      const usable = sorted.filter((p) => !p.disabled && selects(p, c) && p.blocks.some((b) => b.family === f));
      if (usable.length === 0) {
        pend("NO_POOL", `no enabled pool with ${familyName(f)} addresses selects the service`);
        continue;
      }
      const inUsable = (ip: string) => familyOf(ip) === f && usable.some((p) => poolHolds(p, f, parseIp(ip)!.value));
      const sharedWith = c.sharingKey === undefined ? [] : [...holders.entries()].filter(([, hs]) => hs.some((h) => h.sharingKey === c.sharingKey)).map(([ip]) => ip);
      const pick = [...c.preferred, ...sharedWith].find((ip) => inUsable(ip) && free(ip, c)) ?? lowestFree(usable, f, c, free);
      if (pick) hold(pick, c);
      else pend("POOL_EXHAUSTED", `every ${familyName(f)} address of ${usable.map((p) => `pool ${p.name}`).join(", ")} is taken`);
    }
    if (r.ips.length) delete r.pending;
  }
  return out;
}

function lowestFree(pools: LbPool[], f: Family, c: LbClaim, free: (ip: string, c: LbClaim) => boolean): string | undefined {
  for (const p of pools) {
    for (const b of p.blocks) {
      if (b.family !== f) continue;
      const [first, last] = blockRange(b);
      for (let v = first; v <= last; v++) {
        const ip = formatIp(f, v);
        if (free(ip, c)) return ip;
      }
    }
  }
  return undefined;
}
