import { FAMILY_BITS, formatAddr, formatRange, maxValue, parseCidr, cidrLast, type Family } from "./cidr";
import { allocateIds, allowKey, denyKey, type PolicyIdEntry } from "./ids";
import { normalize, subtract, type Interval } from "./intervals";
import { decompose, itemsKey, type Box, type Item } from "./boxes";
import { PROTOCOL_NUMBER, endpointPeerMatches, isolates, resolveNamedPort } from "../match";
import { matchesSelector } from "../selector";
import { adminMap, CHAIN, DENY_RULE_MAP, DEFAULT_LOG_GROUP, DEFAULT_LOG_RATE, DROPS, DROPS_SIZE, DROPS_TIMEOUT, LOG_PREFIX, MAP } from "./names";
import type { CompileOptions, NftChain, NftSet, PolicyPlan } from "./plan";
import type { Direction, LabelSelector, NetworkPolicy, PolicyRule, PolicyWorld, PortSpec, RuleRef } from "../types";
import { l7Plan, subjectListeners, type L7Listener } from "./l7-compile";
import { compileDnsPlan, fqdnLookupRules, fqdnSets } from "./fqdn-plan";
import { indexWorld, policyKey, pushTo, sortPolicies, type WorkloadView, type WorldIndex } from "../world";
import { adminTiers, hasTiers } from "../admin/evaluate";
import { adminElements, rankAdminRules, type TierFlags } from "../admin/compile";

// NetworkPolicy -> nft data. The rule count is fixed (see chains()); everything that grows
// with workloads or policies becomes map elements:
//   pol_{in,eg}_allow_v{4,6}: subject . peer-range . l4proto-range . dport-range : id
//   pol_{in,eg}_deny_v{4,6}:  subject : id   (subject = an isolated workload address)
// For ingress the subject is the destination, for egress the source. Every selector, named
// port, ipBlock except and endPort is resolved here, at compile time, against the world.

/** The (protocol, port) line: protocol << 16 | port, so one interval set covers both. */
const LINE_ALL: Interval = { lo: 0n, hi: (256n << 16n) - 1n };

export interface RankedRule {
  rank: number;
  ref: RuleRef;
  policy: NetworkPolicy;
  rule: PolicyRule;
}

function specLine(spec: PortSpec, named: number[] | null): Interval[] {
  const p = BigInt(PROTOCOL_NUMBER[spec.protocol]) << 16n;
  if (spec.port === undefined) return [{ lo: p, hi: p | 0xffffn }];
  if (typeof spec.port === "string") return (named ?? []).map((n) => ({ lo: p | BigInt(n), hi: p | BigInt(n) }));
  return [{ lo: p | BigInt(spec.port), hi: p | BigInt(spec.endPort ?? spec.port) }];
}

export class Compiler {
  private readonly peerMemo = new Map<string, Interval[]>();
  private readonly boxMemo = new Map<string, Box[]>();

  constructor(private readonly index: WorldIndex) {}

  /** The addresses (family f) a rule's peers cover; no peers = the whole family. */
  peerAddrs(r: RankedRule, f: Family): Interval[] {
    const memoKey = `${r.ref.deny ? "deny-" : ""}${r.ref.direction}:${r.rank}:${f}`;
    const hit = this.peerMemo.get(memoKey);
    if (hit) return hit;
    const out: Interval[] = [];
    const all: Interval = { lo: 0n, hi: maxValue(f) };
    if (r.rule.peers.length === 0) out.push(all);
    for (const peer of r.rule.peers) {
      if (peer.kind === "ipBlock" || peer.kind === "worldCidr") {
        const c = parseCidr(peer.cidr)!;
        if (c.family !== f) continue;
        const holes = normalize(peer.except.map((e) => parseCidr(e)!).map((e) => ({ lo: e.base, hi: cidrLast(e) })));
        const block = subtract([{ lo: c.base, hi: cidrLast(c) }], holes);
        out.push(...(peer.kind === "worldCidr" ? subtract(block, this.workloadAddrs(f)) : block));
      } else if (peer.kind === "entity") {
        if (peer.entity === "all") out.push(all);
        else if (peer.entity === "world") out.push(...subtract([all], this.workloadAddrs(f)));
        else if (peer.entity === "cluster") out.push(...this.workloadAddrs(f));
      } else if (peer.kind === "fqdn") {
        // Addresses learned from DNS answers: the dynamic pol_fqdn_* maps (see fqdn-plan.ts).
      } else if (peer.kind === "endpoints") {
        const candidates = peer.namespace === null ? this.index.workloads : this.index.byNamespace.get(peer.namespace) ?? [];
        for (const w of candidates) {
          if (!endpointPeerMatches(peer, w)) continue;
          for (const a of w.addrs) if (a.family === f) out.push({ lo: a.value, hi: a.value });
        }
      } else {
        for (const w of this.podPeerCandidates(peer.namespaceSelector, r.policy.namespace)) {
          if (peer.podSelector !== null && !matchesSelector(peer.podSelector, w.workload.labels)) continue;
          for (const a of w.addrs) if (a.family === f) out.push({ lo: a.value, hi: a.value });
        }
      }
    }
    const result = normalize(out);
    this.peerMemo.set(memoKey, result);
    return result;
  }

  /** Every workload address of family f: what Cilium's world excludes and cluster is. */
  private workloadAddrs(f: Family): Interval[] {
    const key = `workloads:${f}`;
    let hit = this.peerMemo.get(key);
    if (!hit) {
      hit = normalize(this.index.workloads.flatMap((w) => w.addrs.filter((a) => a.family === f).map((a) => ({ lo: a.value, hi: a.value }))));
      this.peerMemo.set(key, hit);
    }
    return hit;
  }

  /**
   * Workloads of the namespaces a pod peer's namespaceSelector picks (the policy's own when null):
   * the namespace test runs once per namespace instead of once per workload (podPeerMatches' rule).
   */
  private podPeerCandidates(namespaceSelector: LabelSelector | null, policyNamespace: string): WorkloadView[] {
    if (namespaceSelector === null) return this.index.byNamespace.get(policyNamespace) ?? [];
    const out: WorkloadView[] = [];
    for (const views of this.index.byNamespace.values()) {
      if (matchesSelector(namespaceSelector, views[0]!.namespaceLabels)) out.push(...views);
    }
    return out;
  }

  /** Ingress: named ports resolve on the subject (the destination) itself. */
  ingressItems(rules: RankedRule[], subject: WorkloadView, f: Family): Item[] {
    return rules.map((r) => ({
      rank: r.rank,
      addrs: this.peerAddrs(r, f),
      line: r.rule.ports.length === 0
        ? [LINE_ALL]
        : r.rule.ports.flatMap((s) => specLine(s, typeof s.port === "string" ? resolveNamedPort(s.port, s.protocol, subject.workload) : null)),
    }));
  }

  /** Egress: named ports resolve on each destination workload, so they become per-address items. */
  egressItems(rules: RankedRule[], f: Family): Item[] {
    const items: Item[] = [];
    for (const r of rules) {
      const addrs = this.peerAddrs(r, f);
      const numeric = r.rule.ports.filter((s) => typeof s.port !== "string");
      const named = r.rule.ports.filter((s) => typeof s.port === "string");
      if (r.rule.ports.length === 0) items.push({ rank: r.rank, addrs, line: [LINE_ALL] });
      else if (numeric.length > 0) items.push({ rank: r.rank, addrs, line: numeric.flatMap((s) => specLine(s, null)) });
      if (named.length === 0) continue;
      for (const w of this.index.workloads) {
        const mine = w.addrs.filter((a) => a.family === f && addrs.some((i) => a.value >= i.lo && a.value <= i.hi));
        if (mine.length === 0) continue;
        const line = named.flatMap((s) => specLine(s, resolveNamedPort(s.port as string, s.protocol, w.workload)));
        if (line.length > 0) items.push({ rank: r.rank, addrs: mine.map((a) => ({ lo: a.value, hi: a.value })), line });
      }
    }
    return items;
  }

  boxes(items: Item[]): Box[] {
    const key = itemsKey(items);
    let b = this.boxMemo.get(key);
    if (!b) {
      b = decompose(items);
      this.boxMemo.set(key, b);
    }
    return b;
  }
}

/** A line interval as (protocol range, port range) pairs: at most three. */
function lineToNft(lo: bigint, hi: bigint): string[] {
  const range = (a: bigint, b: bigint): string => (a === b ? `${a}` : `${a}-${b}`);
  const p1 = lo >> 16n, q1 = lo & 0xffffn, p2 = hi >> 16n, q2 = hi & 0xffffn;
  if (p1 === p2) return [`${p1} . ${range(q1, q2)}`];
  const out: string[] = [];
  let first = p1, last = p2;
  if (q1 !== 0n) { out.push(`${p1} . ${range(q1, 0xffffn)}`); first = p1 + 1n; }
  const tail = q2 !== 0xffffn ? `${p2} . ${range(0n, q2)}` : null;
  if (tail) last = p2 - 1n;
  if (first <= last) out.push(`${range(first, last)} . 0-65535`);
  if (tail) out.push(tail);
  return out;
}

function hexId(id: number): string {
  return `0x${id.toString(16).padStart(8, "0")}`;
}

interface Element { k: bigint[]; text: string }

function sortElements(list: Element[]): string[] {
  return list
    .sort((a, b) => {
      for (let i = 0; i < Math.max(a.k.length, b.k.length); i++) {
        const x = a.k[i] ?? -1n, y = b.k[i] ?? -1n;
        if (x !== y) return x < y ? -1 : 1;
      }
      return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
    })
    .map((e) => e.text);
}

function chains(logGroup: number, logRate: number, denyRules: boolean, fqdn: boolean, tiers: TierFlags): NftChain[] {
  // Each step is its own rule so a failing one (log budget spent, drops set full, no
  // transport header) never skips the drop.
  const drop = (dir: Direction): string[] => [
    `limit rate ${logRate}/second burst ${logRate} packets log prefix "${LOG_PREFIX[dir]}" group ${logGroup}`,
    `update @${DROPS.v4} { ip saddr . ip daddr . meta l4proto . th dport . meta mark }`,
    `update @${DROPS.v6} { ip6 saddr . ip6 daddr . meta l4proto . th dport . meta mark }`,
    "counter drop",
  ];
  // Allowed: ct mark := the admitting rule's id, kept on the connection for the collector.
  // Denied: meta mark := the default-deny id (the packet dies, so clobbering it is harmless),
  // then NFLOG, which carries the mark.
  const direction = (dir: Direction): string[] => {
    const [self, peer, allow4, allow6, deny4, deny6, dropChain, xdeny4, xdeny6] = dir === "egress"
      ? ["saddr", "daddr", MAP.egressAllow4, MAP.egressAllow6, MAP.egressDeny4, MAP.egressDeny6, CHAIN.egressDrop, DENY_RULE_MAP.egress4, DENY_RULE_MAP.egress6]
      : ["daddr", "saddr", MAP.ingressAllow4, MAP.ingressAllow6, MAP.ingressDeny4, MAP.ingressDeny6, CHAIN.ingressDrop, DENY_RULE_MAP.ingress4, DENY_RULE_MAP.ingress6];
    // Cilium deny rules win over allows, so they are looked up first (meta mark = the deny rule's id).
    const denyFirst = denyRules
      ? [
          `meta mark set ip ${self} . ip ${peer} . meta l4proto . th dport map @${xdeny4} goto ${dropChain}`,
          `meta mark set ip6 ${self} . ip6 ${peer} . meta l4proto . th dport map @${xdeny6} goto ${dropChain}`,
        ]
      : [];
    // An admin tier's rule decides with its id: Deny as a drop (meta mark), Allow as an admit (ct mark).
    const tier = (t: "admin" | "baseline"): string[] => (tiers[t]
      ? [
          `meta mark set ip ${self} . ip ${peer} . meta l4proto . th dport map @${adminMap(t, dir, "deny", 4)} goto ${dropChain}`,
          `meta mark set ip6 ${self} . ip6 ${peer} . meta l4proto . th dport map @${adminMap(t, dir, "deny", 6)} goto ${dropChain}`,
          `ct mark set ip ${self} . ip ${peer} . meta l4proto . th dport map @${adminMap(t, dir, "allow", 4)} return`,
          `ct mark set ip6 ${self} . ip6 ${peer} . meta l4proto . th dport map @${adminMap(t, dir, "allow", 6)} return`,
        ]
      : []);
    return [
      // AdminNetworkPolicy first: its Allow and Deny are final (a Pass has no element: it falls through).
      ...tier("admin"),
      ...denyFirst,
      `ct mark set ip ${self} . ip ${peer} . meta l4proto . th dport map @${allow4} return`,
      `ct mark set ip6 ${self} . ip6 ${peer} . meta l4proto . th dport map @${allow6} return`,
      // toFQDNs: addresses the resolver returned, learned at run time (fqdn-plan.ts).
      ...(fqdn && dir === "egress" ? fqdnLookupRules() : []),
      `meta mark set ip ${self} map @${deny4} goto ${dropChain}`,
      `meta mark set ip6 ${self} map @${deny6} goto ${dropChain}`,
      // Reached only by workloads no NetworkPolicy isolates in this direction.
      ...tier("baseline"),
    ];
  };
  return [
    { name: CHAIN.egressDrop, rules: drop("egress") },
    { name: CHAIN.ingressDrop, rules: drop("ingress") },
    { name: CHAIN.egress, rules: direction("egress") },
    { name: CHAIN.ingress, rules: direction("ingress") },
    // Egress first: a connection must leave its source before it can reach its destination.
    { name: CHAIN.forward, rules: [`jump ${CHAIN.egress}`, `jump ${CHAIN.ingress}`] },
  ];
}

export function compilePolicies(world: PolicyWorld, policies: readonly NetworkPolicy[], options: CompileOptions = {}): PolicyPlan {
  const index = indexWorld(world);
  const sorted = sortPolicies(policies);
  const compiler = new Compiler(index);

  // Rank = position in (policy "ns/name", rule index) order; the lowest rank admitting a
  // connection is the one whose id the kernel records, as explain() lists it first.
  const ranked: Record<Direction, RankedRule[]> = { ingress: [], egress: [] };
  const rankedDeny: Record<Direction, RankedRule[]> = { ingress: [], egress: [] };
  let rank = 0;
  for (const p of sorted) {
    for (const dir of ["egress", "ingress"] as const) {
      if (!p.policyTypes.includes(dir === "ingress" ? "Ingress" : "Egress")) continue;
      (dir === "ingress" ? p.ingress : p.egress).forEach((rule, ruleIndex) => {
        if (!rule.empty) ranked[dir].push({ rank: rank++, ref: { policy: policyKey(p), direction: dir, ruleIndex }, policy: p, rule });
      });
      (dir === "ingress" ? p.ingressDeny : p.egressDeny)?.forEach((rule, ruleIndex) => {
        if (!rule.empty) rankedDeny[dir].push({ rank: rank++, ref: { policy: policyKey(p), direction: dir, ruleIndex, deny: true }, policy: p, rule });
      });
    }
  }
  const tiers = adminTiers(sorted);
  const admin = hasTiers(tiers) ? rankAdminRules(tiers, () => rank++) : undefined;
  const denyRules = rankedDeny.ingress.length + rankedDeny.egress.length > 0;
  // The learned-address maps and their lookups exist only while some rule has toFQDNs.
  const fqdn = ranked.egress.some((r) => r.rule.peers.some((p) => p.kind === "fqdn"));
  const rulesOf: Record<Direction, Map<string, RankedRule[]>> = { ingress: new Map(), egress: new Map() };
  const denyRulesOf: Record<Direction, Map<string, RankedRule[]>> = { ingress: new Map(), egress: new Map() };
  for (const dir of ["egress", "ingress"] as const) {
    for (const r of ranked[dir]) pushTo(rulesOf[dir], r.ref.policy, r);
    for (const r of rankedDeny[dir]) pushTo(denyRulesOf[dir], r.ref.policy, r);
  }
  const byRank = new Map<number, RankedRule>();
  for (const r of [...ranked.ingress, ...ranked.egress, ...rankedDeny.ingress, ...rankedDeny.egress]) byRank.set(r.rank, r);

  // Subjects and their isolating policies, first, so ids can be allocated before emitting.
  const subjects: { dir: Direction; view: WorkloadView; isolating: NetworkPolicy[] }[] = [];
  // A policy only ever selects workloads of its own namespace (still in sorted order).
  // Clusterwide policies (namespace "") are candidates everywhere.
  const byNamespace = new Map<string, NetworkPolicy[]>();
  for (const p of sorted) pushTo(byNamespace, p.namespace, p);
  const clusterwide = byNamespace.get("") ?? [];
  for (const view of index.workloads) {
    const own = byNamespace.get(view.workload.namespace) ?? [];
    const candidates = clusterwide.length === 0 ? own : sortPolicies([...own, ...clusterwide]);
    for (const dir of ["egress", "ingress"] as const) {
      const isolating = candidates.filter((p) => isolates(p, dir === "ingress" ? "Ingress" : "Egress", view));
      if (isolating.length > 0) subjects.push({ dir, view, isolating });
    }
  }
  const keys = [...byRank.values()].map((r) => allowKey(r.ref));
  // Admin-tier Allow and Deny rules carry ids; a Pass never decides, so it has none.
  const decidingAdmin = admin ? [...admin.byRank.values()].filter((r) => r.rule.action !== "Pass") : [];
  for (const r of decidingAdmin) keys.push(allowKey(r.ref));
  for (const s of subjects) keys.push(denyKey(s.dir, s.isolating.map(policyKey)));
  const ids = allocateIds(keys);

  const mapNames: string[] = [...Object.values(MAP), ...(denyRules ? Object.values(DENY_RULE_MAP) : [])];
  const adminMaps: string[] = admin ? admin.mapNames : [];
  const elements = new Map<string, Element[]>([...mapNames, ...adminMaps].map((m) => [m, []]));
  /** Elements of `boxes` for the subject addresses lo–hi (one address, or a run that shares the boxes). */
  const pushBoxes = (map: string, f: Family, lo: bigint, hi: bigint, boxes: Box[], idOf: (rank: number) => number | undefined): void => {
    const subject = formatRange(f, lo, hi);
    for (const b of boxes) {
      const n = idOf(b.rank);
      if (n === undefined) continue;
      const peer = formatRange(f, b.aLo, b.aHi);
      lineToNft(b.lLo, b.lHi).forEach((pp, i) => {
        elements.get(map)!.push({ k: [lo, b.aLo, b.lLo, BigInt(i)], text: `${subject} . ${peer} . ${pp} : ${hexId(n)}` });
      });
    }
  };
  for (const { dir, view, isolating } of subjects) {
    const denyId = ids.get(denyKey(dir, isolating.map(policyKey)))!;
    // Policies and their rules are both in rank order, so concatenating keeps the ranks ascending.
    const rules = isolating.flatMap((p) => rulesOf[dir].get(policyKey(p)) ?? []);
    const denyRulesList = isolating.flatMap((p) => denyRulesOf[dir].get(policyKey(p)) ?? []);
    for (const f of [4, 6] as const) {
      const addrs = view.addrs.filter((a) => a.family === f);
      if (addrs.length === 0) continue;
      const boxes = compiler.boxes(dir === "ingress" ? compiler.ingressItems(rules, view, f) : compiler.egressItems(rules, f));
      const allowMap = dir === "ingress" ? (f === 4 ? MAP.ingressAllow4 : MAP.ingressAllow6) : (f === 4 ? MAP.egressAllow4 : MAP.egressAllow6);
      const denyMap = dir === "ingress" ? (f === 4 ? MAP.ingressDeny4 : MAP.ingressDeny6) : (f === 4 ? MAP.egressDeny4 : MAP.egressDeny6);
      const denyRuleBoxes = denyRules ? compiler.boxes(dir === "ingress" ? compiler.ingressItems(denyRulesList, view, f) : compiler.egressItems(denyRulesList, f)) : [];
      const denyRuleMap = dir === "ingress" ? (f === 4 ? DENY_RULE_MAP.ingress4 : DENY_RULE_MAP.ingress6) : (f === 4 ? DENY_RULE_MAP.egress4 : DENY_RULE_MAP.egress6);
      for (const a of addrs) {
        const subjectText = formatAddr(f, a.value);
        for (const b of denyRuleBoxes) {
          const id = hexId(ids.get(allowKey(byRank.get(b.rank)!.ref))!);
          const peer = formatRange(f, b.aLo, b.aHi);
          lineToNft(b.lLo, b.lHi).forEach((pp, n) => {
            elements.get(denyRuleMap)!.push({ k: [a.value, b.aLo, b.lLo, BigInt(n)], text: `${subjectText} . ${peer} . ${pp} : ${id}` });
          });
        }
        const subject = subjectText;
        elements.get(denyMap)!.push({ k: [a.value], text: `${subject} : ${hexId(denyId)}` });
        for (const b of boxes) {
          const id = hexId(ids.get(allowKey(byRank.get(b.rank)!.ref))!);
          const peer = formatRange(f, b.aLo, b.aHi);
          lineToNft(b.lLo, b.lHi).forEach((pp, n) => {
            elements.get(allowMap)!.push({ k: [a.value, b.aLo, b.lLo, BigInt(n)], text: `${subject} . ${peer} . ${pp} : ${id}` });
          });
        }
      }
    }
  }

  // The admin tiers' elements (admin/compile.ts); the baseline's only where no NetworkPolicy isolates.
  if (admin) {
    adminElements(admin, tiers, index.workloads, compiler, new Set(subjects.map((s) => `${s.dir} ${s.view.key}`)), (r) => ids.get(allowKey(r.ref)), pushBoxes);
  }

  // Ports guarded by HTTP rules: their connections go to the L7 proxy (l7-compile.ts).
  const listeners: Omit<L7Listener, "listen">[] = [];
  const proxied6: { ip: string; port: number }[] = [];
  for (const { dir, view, isolating } of subjects) {
    if (dir !== "ingress") continue;
    const rules = isolating.flatMap((p) => rulesOf.ingress.get(policyKey(p)) ?? []);
    const found = subjectListeners(view, rules.map((r) => ({ ref: r.ref, rule: r.rule, addrs: (f: Family) => compiler.peerAddrs(r, f) })));
    listeners.push(...found);
    const ports = [...new Set(found.map((l) => l.port))];
    for (const a of view.addrs) if (a.family === 6) for (const port of ports) proxied6.push({ ip: formatAddr(6, a.value), port });
  }
  const l7 = l7Plan(listeners, proxied6);

  const addrType = (f: Family): string => (FAMILY_BITS[f] === 32 ? "ipv4_addr" : "ipv6_addr");
  const sets: NftSet[] = mapNames.map((name) => {
    const f: Family = name.endsWith("v4") ? 4 : 6;
    const allow = name.includes("_allow_") || name.includes("_xdeny_");
    return allow
      ? { name, kind: "map" as const, type: `${addrType(f)} . ${addrType(f)} . inet_proto . inet_service : mark`, flags: ["interval"], elements: sortElements(elements.get(name)!) }
      : { name, kind: "map" as const, type: `${addrType(f)} : mark`, elements: sortElements(elements.get(name)!) };
  });
  for (const name of adminMaps) {
    const f: Family = name.endsWith("v4") ? 4 : 6;
    sets.push({ name, kind: "map", type: `${addrType(f)} . ${addrType(f)} . inet_proto . inet_service : mark`, flags: ["interval"], elements: sortElements(elements.get(name)!) });
  }
  if (fqdn) sets.push(...fqdnSets());
  for (const [name, f] of [[DROPS.v4, 4], [DROPS.v6, 6]] as const) {
    sets.push({ name, kind: "set", type: `${addrType(f)} . ${addrType(f)} . inet_proto . inet_service . mark`, flags: ["dynamic", "timeout"], timeout: DROPS_TIMEOUT, size: DROPS_SIZE, elements: [] });
  }
  sets.push(...l7.sets);
  sets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const idTable: PolicyIdEntry[] = [];
  for (const r of [...byRank.values(), ...decidingAdmin]) idTable.push({ id: ids.get(allowKey(r.ref))!, kind: r.ref.deny ? "denyRule" : "allow", rule: r.ref });
  const seen = new Set<string>();
  for (const s of subjects) {
    const key = denyKey(s.dir, s.isolating.map(policyKey));
    if (seen.has(key)) continue;
    seen.add(key);
    idTable.push({ id: ids.get(key)!, kind: "deny", direction: s.dir, policies: s.isolating.map(policyKey) });
  }
  idTable.sort((a, b) => a.id - b.id);

  const dns = compileDnsPlan(
    subjects.filter((s) => s.dir === "egress").map((s) => ({ addrs: s.view.addrs, isolating: s.isolating })),
    (p) => rulesOf.egress.get(policyKey(p)) ?? [],
    (ref) => ids.get(allowKey(ref))!,
  );
  return {
    sets,
    chains: chains(options.logGroup ?? DEFAULT_LOG_GROUP, options.logRate ?? DEFAULT_LOG_RATE, denyRules, fqdn, admin?.flags ?? { admin: false, baseline: false }),
    entryChain: CHAIN.forward,
    ids: idTable,
    l7: l7.listeners,
    ...(dns ? { dns } : {}),
  };
}
