import { parseAddr, parseCidr, cidrLast, type Family } from "../plan/cidr";
import { adminMap, adminPassSet, allowShard, CHAIN, DENY_RULE_MAP, MAP } from "../plan/names";
import type { PolicyPlan } from "../plan/plan";
import type { Direction, Protocol } from "../types";

// A model of what the kernel does with a plan: it reads the rendered element strings back
// (so rendering is exercised too) and walks pol_forward as the fixed chains in compile.ts
// do. Tests assert the chains are exactly those rules, so this model stays honest.

interface Range { lo: bigint; hi: bigint }
interface Element { fields: Range[]; id: number }

function addrRange(text: string): Range {
  if (text.includes("/")) {
    const c = parseCidr(text);
    if (!c) throw new Error(`bad prefix ${text}`);
    return { lo: c.base, hi: cidrLast(c) };
  }
  const dash = text.indexOf("-");
  if (dash >= 0) return { lo: parseAddr(text.slice(0, dash))!.value, hi: parseAddr(text.slice(dash + 1))!.value };
  const a = parseAddr(text);
  if (!a) throw new Error(`bad address ${text}`);
  return { lo: a.value, hi: a.value };
}

function numRange(text: string): Range {
  const [a, b] = text.split("-");
  return { lo: BigInt(a!), hi: BigInt(b ?? a!) };
}

export function parseElement(text: string): Element {
  const [key, data] = text.split(" : ");
  const parts = key!.split(" . ");
  const fields = parts.map((p, i) => (i < parts.length - 2 || parts.length === 1 ? addrRange(p) : numRange(p)));
  return { fields, id: Number(data) };
}

export function elementsOverlap(a: Element, b: Element): boolean {
  return a.fields.every((f, i) => f.lo <= b.fields[i]!.hi && b.fields[i]!.lo <= f.hi);
}

const PROTO: Record<Protocol, bigint> = { TCP: 6n, UDP: 17n, SCTP: 132n };

export interface SimVerdict {
  allowed: boolean;
  /** ct mark after the policy chains (0 = untouched). */
  ctMark: number;
  /** Set when dropped: the chain that dropped and the meta mark it logged. */
  drop?: { direction: Direction; mark: number };
}

export class PlanSim {
  private readonly maps = new Map<string, Element[]>();

  constructor(plan: PolicyPlan) {
    for (const s of plan.sets) this.maps.set(s.name, s.elements.map(parseElement));
    const forward = plan.chains.find((c) => c.name === CHAIN.forward);
    if (!forward) throw new Error("no entry chain");
  }

  elements(name: string): Element[] {
    return this.maps.get(name) ?? [];
  }

  private lookup(name: string, key: bigint[]): number | undefined {
    return this.elements(name).find((e) => e.fields.every((f, i) => key[i]! >= f.lo && key[i]! <= f.hi))?.id;
  }

  run(src: string, dst: string, protocol: Protocol, port: number): SimVerdict {
    const s = parseAddr(src)!, d = parseAddr(dst)!;
    const f: Family = s.family;
    let ctMark = 0;
    const steps: [Direction, bigint, bigint, string, string][] = [
      ["egress", s.value, d.value, f === 4 ? MAP.egressAllow4 : MAP.egressAllow6, f === 4 ? MAP.egressDeny4 : MAP.egressDeny6],
      ["ingress", d.value, s.value, f === 4 ? MAP.ingressAllow4 : MAP.ingressAllow6, f === 4 ? MAP.ingressDeny4 : MAP.ingressDeny6],
    ];
    for (const [direction, self, peer, allowMap, denyMap] of steps) {
      const key = [self, peer, PROTO[protocol], BigInt(port)];
      // An admin tier: its Pass skips it, then Deny drops, Allow admits (maps exist only while such a policy does).
      const tier = (t: "admin" | "baseline"): SimVerdict | "allowed" | undefined => {
        if (this.elements(adminPassSet(t, direction, f)).some((e) => e.fields.every((r, i) => key[i]! >= r.lo && key[i]! <= r.hi))) return undefined;
        const denied = this.lookup(adminMap(t, direction, "deny", f), key);
        if (denied !== undefined) return { allowed: false, ctMark, drop: { direction, mark: denied } };
        const allowed = this.lookup(adminMap(t, direction, "allow", f), key);
        if (allowed === undefined) return undefined;
        ctMark = allowed;
        return "allowed";
      };
      const admin = tier("admin");
      if (admin === "allowed") continue;
      if (admin) return admin;
      // Cilium deny rules next (their maps exist only when some policy has deny rules).
      const xdeny = direction === "egress" ? (f === 4 ? DENY_RULE_MAP.egress4 : DENY_RULE_MAP.egress6) : (f === 4 ? DENY_RULE_MAP.ingress4 : DENY_RULE_MAP.ingress6);
      const denied = this.lookup(xdeny, [self, peer, PROTO[protocol], BigInt(port)]);
      if (denied !== undefined) return { allowed: false, ctMark, drop: { direction, mark: denied } };
      const allow = this.lookup(allowShard(allowMap, self), [self, peer, PROTO[protocol], BigInt(port)]);
      if (allow !== undefined) { ctMark = allow; continue; }
      const deny = this.lookup(denyMap, [self]);
      if (deny !== undefined) return { allowed: false, ctMark, drop: { direction, mark: deny } };
      const baseline = tier("baseline");
      if (baseline && baseline !== "allowed") return baseline;
    }
    return { allowed: true, ctMark };
  }
}
