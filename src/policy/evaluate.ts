import { formatAddr, parseAddr, type Addr, type Family } from "./plan/cidr";
import { PolicyError } from "./errors";
import { isolates, peerMatches, portMatches } from "./match";
import type { Direction, NetworkPolicy, PolicyRule, PolicyWorld, Protocol, RuleRef } from "./types";
import { indexWorld, policyKey, sortPolicies, type WorkloadView, type WorldIndex } from "./world";
import { adminTiers, firstAdminMatch, type Tiers } from "./admin/evaluate";

// The oracle: the verdict for ONE new connection, straight from the semantics. Traffic is
// allowed iff the source's egress allows it AND the destination's ingress allows it. Each
// direction goes through the tiers: AdminNetworkPolicy (Allow/Deny decide, Pass skips to the
// next tier) → NetworkPolicy and Cilium (when one isolates the workload) →
// BaselineAdminNetworkPolicy → allowed.

export interface ExplainQuery {
  /** "namespace/name" of a workload, or an IP address (a workload's or an outside one). */
  from: string;
  to: string;
  port: number;
  protocol: Protocol;
  /** Address family when both ends are workloads; default: IPv4 if both have one. */
  family?: Family;
}

/** Which tier decided a direction; "none": nothing applies, so it is allowed. */
export type DecidingTier = "admin" | "networkPolicy" | "baseline" | "none";

export interface DirectionExplanation {
  tier: DecidingTier;
  /** The AdminNetworkPolicy or BaselineAdminNetworkPolicy rule that decided (tier admin or baseline). */
  decidedBy?: RuleRef;
  /** The AdminNetworkPolicy Pass rule that handed the connection to the lower tiers. */
  passedBy?: RuleRef;
  /** NetworkPolicy/Cilium isolation; the fields down to deniedBy are that tier's view. */
  isolated: boolean;
  allowed: boolean;
  /** Every rule that admits the connection, in policy order; the first is the one the kernel reports. */
  allowedBy: RuleRef[];
  /** policyKey of every policy that isolates the workload in this direction. */
  isolatedBy: string[];
  /** Cilium deny rules that match, in policy order (present only when one does): deny wins over allow. */
  deniedBy?: RuleRef[];
}

export interface Endpoint {
  ip: string;
  workload?: string;
}

export interface Explanation {
  allowed: boolean;
  from: Endpoint;
  to: Endpoint;
  egress: DirectionExplanation;
  ingress: DirectionExplanation;
}

interface Resolved {
  view: WorkloadView | null;
  addr: Addr | null; // null: a workload whose address is chosen once the family is known
}

function resolve(index: WorldIndex, ref: string, field: string): Resolved {
  const addr = parseAddr(ref);
  if (addr) return { view: index.byAddr.get(`${addr.family}:${addr.value}`) ?? null, addr };
  const view = index.byKey.get(ref);
  if (!view) throw new PolicyError("WORKLOAD_NOT_FOUND", field, `no workload "${ref}" (give namespace/name or an IP address)`);
  return { view, addr: null };
}

function pickAddr(r: Resolved, family: Family, field: string): Addr {
  if (r.addr) return r.addr;
  const a = r.view!.addrs.find((x) => x.family === family);
  if (!a) throw new PolicyError("INVALID_ARGUMENT", field, `${r.view!.key} has no IPv${family} address`);
  return a;
}

function chooseFamily(from: Resolved, to: Resolved, wanted: Family | undefined): Family {
  const fixed = [from.addr?.family, to.addr?.family].filter((f): f is Family => f !== undefined);
  if (fixed.length === 2 && fixed[0] !== fixed[1]) throw new PolicyError("INVALID_ARGUMENT", "to", "from and to are of different address families");
  if (fixed.length > 0) return fixed[0]!;
  if (wanted) return wanted;
  const has = (r: Resolved, f: Family): boolean => r.view!.addrs.some((a) => a.family === f);
  return has(from, 4) && has(to, 4) ? 4 : 6;
}

function direction(
  policies: readonly NetworkPolicy[],
  tiers: Tiers,
  dir: Direction,
  subject: WorkloadView | null,
  peer: WorkloadView | null,
  peerAddr: Addr,
  dst: WorkloadView | null,
  protocol: Protocol,
  port: number,
): DirectionExplanation {
  const type = dir === "ingress" ? "Ingress" : "Egress";
  const isolating = subject ? policies.filter((p) => isolates(p, type, subject)) : [];
  const allowedBy: RuleRef[] = [];
  const deniedBy: RuleRef[] = [];
  const matches = (p: NetworkPolicy, rule: PolicyRule): boolean => {
    if (rule.empty) return false;
    const peerOk = rule.peers.length === 0 || rule.peers.some((x) => peerMatches(x, p.namespace, peer, peerAddr));
    return peerOk && (rule.ports.length === 0 || rule.ports.some((s) => portMatches(s, protocol, port, dst?.workload ?? null)));
  };
  for (const p of isolating) {
    (dir === "ingress" ? p.ingress : p.egress).forEach((rule, ruleIndex) => {
      if (matches(p, rule)) allowedBy.push({ policy: policyKey(p), direction: dir, ruleIndex });
    });
    (dir === "ingress" ? p.ingressDeny : p.egressDeny)?.forEach((rule, ruleIndex) => {
      if (matches(p, rule)) deniedBy.push({ policy: policyKey(p), direction: dir, ruleIndex, deny: true });
    });
  }
  const isolated = isolating.length > 0;
  const np = { isolated, allowedBy, isolatedBy: isolating.map(policyKey), ...(deniedBy.length ? { deniedBy } : {}) };
  const admin = subject ? firstAdminMatch(tiers.admin, dir, subject, peer, peerAddr, dst, protocol, port) : undefined;
  if (admin && admin.action !== "Pass") return { tier: "admin", decidedBy: admin, allowed: admin.action === "Allow", ...np };
  const passed = admin ? { passedBy: admin } : {};
  if (isolated) return { tier: "networkPolicy", ...passed, allowed: allowedBy.length > 0 && deniedBy.length === 0, ...np };
  const baseline = subject ? firstAdminMatch(tiers.baseline, dir, subject, peer, peerAddr, dst, protocol, port) : undefined;
  if (baseline) return { tier: "baseline", decidedBy: baseline, ...passed, allowed: baseline.action === "Allow", ...np };
  return { tier: "none", ...passed, allowed: true, ...np };
}

/** Builds an explainer over one world and policy set, for many queries. */
export function createExplainer(world: PolicyWorld, policies: readonly NetworkPolicy[]): (q: ExplainQuery) => Explanation {
  const index = indexWorld(world);
  const sorted = sortPolicies(policies);
  const tiers = adminTiers(sorted);
  return (q) => {
    if (!Number.isInteger(q.port) || q.port < 1 || q.port > 65535) throw new PolicyError("INVALID_ARGUMENT", "port", `${q.port} must be between 1 and 65535`);
    if (q.protocol !== "TCP" && q.protocol !== "UDP" && q.protocol !== "SCTP") throw new PolicyError("INVALID_ARGUMENT", "protocol", `"${String(q.protocol)}" is not TCP, UDP or SCTP`);
    const from = resolve(index, q.from, "from");
    const to = resolve(index, q.to, "to");
    const family = chooseFamily(from, to, q.family);
    const src = pickAddr(from, family, "from");
    const dst = pickAddr(to, family, "to");
    const egress = direction(sorted, tiers, "egress", from.view, to.view, dst, to.view, q.protocol, q.port);
    const ingress = direction(sorted, tiers, "ingress", to.view, from.view, src, to.view, q.protocol, q.port);
    const endpoint = (r: Resolved, a: Addr): Endpoint => (r.view ? { ip: formatAddr(family, a.value), workload: r.view.key } : { ip: formatAddr(family, a.value) });
    return { allowed: egress.allowed && ingress.allowed, from: endpoint(from, src), to: endpoint(to, dst), egress, ingress };
  };
}

export function explain(world: PolicyWorld, policies: readonly NetworkPolicy[], query: ExplainQuery): Explanation {
  return createExplainer(world, policies)(query);
}
