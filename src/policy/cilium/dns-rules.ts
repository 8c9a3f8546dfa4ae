import { invalid, notImplemented } from "../errors";
import { absent, expectArray, expectObj, expectString } from "../parse-fields";
import type { DnsMatch, Peer, PolicyRule, PortSpec } from "../types";
import { checkMatchName, checkMatchPattern, normalizeDnsName } from "./dns-match";

// The DNS parts of a CiliumNetworkPolicy rule: `toFQDNs` and `toPorts[].rules.dns`.
// Ponton's resolver answers on the gateway (the host), so DNS rules need no proxy; a DNS rule
// for another server (toEndpoints, toCIDR) would need one and is refused by name.

/** `[{matchName}|{matchPattern}]`, normalized; exactly one of the two per entry. */
export function parseDnsSelectors(v: unknown, path: string): DnsMatch[] {
  return expectArray(v, path).map((x, i) => {
    const p = `${path}[${i}]`;
    const o = expectObj(x, p, ["matchName", "matchPattern"]);
    if (absent(o.matchName) === absent(o.matchPattern)) throw invalid(p, "needs exactly one of matchName and matchPattern");
    if (!absent(o.matchName)) {
      const name = expectString(o.matchName, `${p}.matchName`);
      const err = checkMatchName(name);
      if (err) throw invalid(`${p}.matchName`, err);
      return { matchName: normalizeDnsName(name) };
    }
    const pattern = expectString(o.matchPattern, `${p}.matchPattern`);
    const err = checkMatchPattern(pattern);
    if (err) throw invalid(`${p}.matchPattern`, err);
    return { matchPattern: normalizeDnsName(pattern) };
  });
}

/** `toPorts[i].rules`: the DNS selectors it holds (other L7 kinds are refused by name). */
export function parseL7Rules(v: unknown, path: string, deny: boolean, egress: boolean): DnsMatch[] {
  if (deny) throw invalid(path, "deny rules have no L7 part");
  const o = expectObj(v, path, ["dns", "http", "kafka", "l7proto", "l7"]);
  for (const f of ["http", "kafka", "l7proto", "l7"]) if (!absent(o[f])) throw notImplemented(`${path}.${f}`, `L7 rules (${f})`);
  if (absent(o.dns)) return [];
  if (!egress) throw invalid(`${path}.dns`, "DNS rules apply to egress only");
  const list = parseDnsSelectors(o.dns, `${path}.dns`);
  if (list.length === 0) throw invalid(`${path}.dns`, "needs at least one matchName or matchPattern");
  return list;
}

/** The peer of a rule with `toFQDNs`; Cilium refuses it beside other L3 selectors in one rule. */
export function parseToFqdns(v: unknown, path: string, otherL3: string[]): Peer {
  if (otherL3.length > 0) throw invalid(path, `cannot be combined with ${otherL3.join(", ")} in one rule (write two rules)`);
  const selectors = parseDnsSelectors(v, path);
  if (selectors.length === 0) throw invalid(path, "needs at least one matchName or matchPattern");
  return { kind: "fqdn", selectors };
}

/** Most ports one toFQDNs rule's endPort range may expand to (learned addresses are written per port). */
export const FQDN_MAX_PORTS = 64;

/**
 * Checks what Ponton can enforce of a parsed egress rule with DNS parts: DNS rules only toward the
 * resolver (toEntities: [host]); toFQDNs ports as numbers or small ranges.
 */
export function checkDnsRule(rule: PolicyRule, path: string): void {
  if (rule.dns) {
    // Port 53 of any other server (toEndpoints, toCIDR, world, all, or no L3 selector) would pass unfiltered.
    const resolverOnly = rule.peers.length > 0 && rule.peers.every((p) => p.kind === "entity" && p.entity === "host");
    if (!resolverOnly) throw notImplemented(`${path}.toPorts`, "DNS rules toward a DNS server other than Ponton's resolver (it needs a DNS proxy; write toEntities: [host])");
  }
  if (!rule.peers.some((p) => p.kind === "fqdn")) return;
  rule.ports.forEach((s: PortSpec) => {
    if (typeof s.port === "string") throw notImplemented(`${path}.toPorts`, `named port "${s.port}" with toFQDNs`);
    if (s.port !== undefined && s.endPort !== undefined && s.endPort - s.port + 1 > FQDN_MAX_PORTS) {
      throw notImplemented(`${path}.toPorts`, `a toFQDNs port range wider than ${FQDN_MAX_PORTS} ports`);
    }
  });
}
