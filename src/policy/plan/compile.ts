import { FAMILY_BITS, formatAddr, formatRange, maxValue, parseCidr, cidrLast, type Family } from "./cidr";
import { allocateIds, allowKey, denyKey, type PolicyIdEntry } from "./ids";
import { normalize, subtract, type Interval } from "./intervals";
import { decompose, itemsKey, type Box, type Item } from "./boxes";
import { PROTOCOL_NUMBER, endpointPeerMatches, isolates, resolveNamedPort } from "../match";
import { matchesSelector } from "../selector";
import { adminMap, adminPassSet, ALLOW_MAPS, allowShard, allowShards, CHAIN, DENY_RULE_MAP, DEFAULT_LOG_GROUP, DEFAULT_LOG_RATE, DROPS, DROPS_SIZE, DROPS_TIMEOUT, LOG_PREFIX, MAP, shardChain, shardDispatch } from "./names";
import type { CompileOptions, NftChain, NftSet, PolicyPlan } from "./plan";
import type { Direction, LabelSelector, NetworkPolicy, PolicyRule, PolicyWorld, PortSpec, RuleRef } from "../types";
import { l7Plan, subjectListeners, type L7Listener } from "./l7-compile";
import { compileDnsPlan, fqdnLookupRules, fqdnSets } from "./fqdn-plan";
import { policyKey, pushTo, sortPolicies, type WorkloadView, type WorldIndex } from "../world";
import { PolicyCompileCache, type Block } from "./cache";
import { adminTiers, hasTiers } from "../admin/evaluate";
import { adminElements, rankAdminRules, type PushBoxes, type TierFlags } from "../admin/compile";

// NetworkPolicy -> nft data. The rule count is fixed (see chains()); everything that grows
// with workloads or policies becomes map elements:
//   pol_{in,eg}_allow_v{4,6}_s{0..63}: subject . peer-range . l4proto-range . dport-range : id
//     (one map per shard of subject addresses: names.ts ALLOW_SHARDS)
//   pol_{in,eg}_deny_v{4,6}:  subject : id   (subject = an isolated workload address)
// For ingress the subject is the destination, for egress the source. Every selector, named
// port, ipBlock except and endPort is resolved here, at compile time, against the world.

/** The (protocol, port) line: protocol << 16 | port, so one interval set covers both. */
const LINE_ALL: Interval = { lo: 0n, hi: (256n << 16n) - 1n };

export interface RankedRule {
  rank: number;
  /** Its policy's version (cache.ts): peer addresses are kept per rule content, not per rank. */
  version: number;
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
  private readonly boxMemo = new Map<string, Box[]>();

  constructor(
    private readonly index: WorldIndex,
    private readonly cache: PolicyCompileCache,
  ) {}

  /** The addresses (family f) a rule's peers cover; no peers = the whole family. */
  peerAddrs(r: RankedRule, f: Family): Interval[] {
    return this.cache.peer(`${r.version}:${r.ref.deny ? "deny-" : ""}${r.ref.direction}:${r.ref.ruleIndex}:${f}`, () => this.computePeerAddrs(r, f));
  }

  private computePeerAddrs(r: RankedRule, f: Family): Interval[] {
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
    return normalize(out);
  }

  /** Every workload address of family f: what Cilium's world excludes and cluster is. */
  private workloadAddrs(f: Family): Interval[] {
    return this.cache.peer(`workloads:${f}`, () => normalize(this.index.workloads.flatMap((w) => w.addrs.filter((a) => a.family === f).map((a) => ({ lo: a.value, hi: a.value })))));
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

/** One subject's elements, per map and address, each block sorted (the maps are sorted by subject address first). */
function subjectBlocks(
  compiler: Compiler,
  { dir, view }: Subject,
  rules: RankedRule[],
  denyRulesList: RankedRule[],
  denyRules: boolean,
  denyId: number,
  idOfRank: (rank: number) => number,
): Block[] {
  const out: Block[] = [];
  for (const f of [4, 6] as const) {
    const addrs = view.addrs.filter((a) => a.family === f);
    if (addrs.length === 0) continue;
    const boxes = compiler.boxes(dir === "ingress" ? compiler.ingressItems(rules, view, f) : compiler.egressItems(rules, f));
    const allowMap = dir === "ingress" ? (f === 4 ? MAP.ingressAllow4 : MAP.ingressAllow6) : (f === 4 ? MAP.egressAllow4 : MAP.egressAllow6);
    const denyMap = dir === "ingress" ? (f === 4 ? MAP.ingressDeny4 : MAP.ingressDeny6) : (f === 4 ? MAP.egressDeny4 : MAP.egressDeny6);
    const denyRuleBoxes = denyRules ? compiler.boxes(dir === "ingress" ? compiler.ingressItems(denyRulesList, view, f) : compiler.egressItems(denyRulesList, f)) : [];
    const denyRuleMap = dir === "ingress" ? (f === 4 ? DENY_RULE_MAP.ingress4 : DENY_RULE_MAP.ingress6) : (f === 4 ? DENY_RULE_MAP.egress4 : DENY_RULE_MAP.egress6);
    const boxElements = (list: Box[], subject: string, a: bigint): string[] => {
      const els: Element[] = [];
      for (const b of list) {
        const id = hexId(idOfRank(b.rank));
        const peer = formatRange(f, b.aLo, b.aHi);
        lineToNft(b.lLo, b.lHi).forEach((pp, n) => els.push({ k: [a, b.aLo, b.lLo, BigInt(n)], text: `${subject} . ${peer} . ${pp} : ${id}` }));
      }
      return sortElements(els);
    };
    for (const a of addrs) {
      const subject = formatAddr(f, a.value);
      if (denyRules) out.push({ map: denyRuleMap, addr: a.value, elements: boxElements(denyRuleBoxes, subject, a.value) });
      out.push({ map: denyMap, addr: a.value, elements: [`${subject} : ${hexId(denyId)}`] });
      out.push({ map: allowMap, addr: a.value, elements: boxElements(boxes, subject, a.value) });
    }
  }
  return out;
}

/** A map's elements in subject address order (each address is one subject's in a map); the same blocks give the same array. */
function joinBlocks(cache: PolicyCompileCache, map: string, list: Block[]): string[] {
  const sorted = list.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  return cache.joined(map, sorted, () => sorted.flatMap((b) => b.elements));
}

function chains(logGroup: number, logRate: number, counted: (limit: string) => string, denyRules: boolean, fqdn: boolean, tiers: TierFlags): NftChain[] {
  // Each step is its own rule so a failing one (log budget spent, drops set full, no
  // transport header) never skips the drop.
  const drop = (dir: Direction): string[] => [
    `${counted(`limit rate ${logRate}/second burst ${logRate} packets`)} log prefix "${LOG_PREFIX[dir]}" group ${logGroup}`,
    `update @${DROPS.v4} { ip saddr . ip daddr . meta l4proto . th dport . meta mark }`,
    `update @${DROPS.v6} { ip6 saddr . ip6 daddr . meta l4proto . th dport . meta mark }`,
    "counter drop",
  ];
  // Allowed: ct mark := the admitting rule's id, kept on the connection for the collector.
  // Denied: meta mark := the default-deny id (the packet dies, so clobbering it is harmless),
  // then NFLOG, which carries the mark.
  const direction = (dir: Direction): NftChain[] => {
    const [self, peer, allow4, allow6, deny4, deny6, dropChain, xdeny4, xdeny6, name, rest] = dir === "egress"
      ? ["saddr", "daddr", MAP.egressAllow4, MAP.egressAllow6, MAP.egressDeny4, MAP.egressDeny6, CHAIN.egressDrop, DENY_RULE_MAP.egress4, DENY_RULE_MAP.egress6, CHAIN.egress, CHAIN.egressRest]
      : ["daddr", "saddr", MAP.ingressAllow4, MAP.ingressAllow6, MAP.ingressDeny4, MAP.ingressDeny6, CHAIN.ingressDrop, DENY_RULE_MAP.ingress4, DENY_RULE_MAP.ingress6, CHAIN.ingress, CHAIN.ingressRest];
    // Cilium deny rules win over allows, so they are looked up first (meta mark = the deny rule's id).
    const denyFirst = denyRules
      ? [
          `meta mark set ip ${self} . ip ${peer} . meta l4proto . th dport map @${xdeny4} goto ${dropChain}`,
          `meta mark set ip6 ${self} . ip6 ${peer} . meta l4proto . th dport map @${xdeny6} goto ${dropChain}`,
        ]
      : [];
    // An admin tier's rule decides with its id: Deny as a drop (meta mark), Allow as an admit (ct mark).
    // Where its Pass decides (the pass set), the tier's maps are skipped: they are made without the Pass.
    const tier = (t: "admin" | "baseline"): string[] => {
      if (!tiers[t]) return [];
      const key = (ip: "ip" | "ip6") => `${ip} ${self} . ${ip} ${peer} . meta l4proto . th dport`;
      const unpassed = (ip: "ip" | "ip6") => `${key(ip)} != @${adminPassSet(t, dir, ip === "ip" ? 4 : 6)}`;
      return [
        `${unpassed("ip")} meta mark set ${key("ip")} map @${adminMap(t, dir, "deny", 4)} goto ${dropChain}`,
        `${unpassed("ip6")} meta mark set ${key("ip6")} map @${adminMap(t, dir, "deny", 6)} goto ${dropChain}`,
        `${unpassed("ip")} ct mark set ${key("ip")} map @${adminMap(t, dir, "allow", 4)} return`,
        `${unpassed("ip6")} ct mark set ${key("ip6")} map @${adminMap(t, dir, "allow", 6)} return`,
      ];
    };
    // The allow lookup, one chain per shard (names.ts ALLOW_SHARDS): reached by `goto`, so its
    // `return` leaves the direction as the single lookup's did, and a miss goes on to the rest.
    const shards = (f: 4 | 6): NftChain[] =>
      allowShards(f === 4 ? allow4 : allow6).map((m, i) => ({
        name: shardChain(dir, f, i),
        rules: [`ct mark set ${f === 4 ? "ip" : "ip6"} ${self} . ${f === 4 ? "ip" : "ip6"} ${peer} . meta l4proto . th dport map @${m} return`, `goto ${rest}`],
      }));
    return [
      {
        name: rest,
        rules: [
          // toFQDNs: addresses the resolver returned, learned at run time (fqdn-plan.ts).
          ...(fqdn && dir === "egress" ? fqdnLookupRules() : []),
          `meta mark set ip ${self} map @${deny4} goto ${dropChain}`,
          `meta mark set ip6 ${self} map @${deny6} goto ${dropChain}`,
          // Reached only by workloads no NetworkPolicy isolates in this direction.
          ...tier("baseline"),
        ],
      },
      ...shards(4),
      ...shards(6),
      {
        name,
        // AdminNetworkPolicy first: its Allow and Deny are final (a Pass falls through).
        rules: [...tier("admin"), ...denyFirst, shardDispatch(dir, 4, self), shardDispatch(dir, 6, self), `goto ${rest}`],
      },
    ];
  };
  return [
    { name: CHAIN.egressDrop, rules: drop("egress") },
    { name: CHAIN.ingressDrop, rules: drop("ingress") },
    ...direction("egress"),
    ...direction("ingress"),
    // Egress first: a connection must leave its source before it can reach its destination.
    { name: CHAIN.forward, rules: [`jump ${CHAIN.egress}`, `jump ${CHAIN.ingress}`] },
  ];
}

interface Subject {
  dir: Direction;
  view: WorkloadView;
  isolating: NetworkPolicy[];
}

/** A namespace's subjects and their default denies, kept while its candidate policies' texts (and the world) are the same. */
interface NamespacePart {
  key: string;
  subjects: Subject[];
  /** Distinct, in subject order. */
  denies: { key: string; direction: Direction; policies: string[] }[];
}

interface NamespaceBlocks {
  blocks: Block[];
  listeners: Omit<L7Listener, "listen">[];
}

function namespacePart(key: string, views: readonly WorkloadView[], candidates: readonly NetworkPolicy[]): NamespacePart {
  const subjects: Subject[] = [];
  const denies = new Map<string, NamespacePart["denies"][number]>();
  for (const view of views) {
    for (const dir of ["egress", "ingress"] as const) {
      const isolating = candidates.filter((p) => isolates(p, dir === "ingress" ? "Ingress" : "Egress", view));
      if (isolating.length === 0) continue;
      subjects.push({ dir, view, isolating });
      const policies = isolating.map(policyKey);
      const k = denyKey(dir, policies);
      if (!denies.has(k)) denies.set(k, { key: k, direction: dir, policies });
    }
  }
  return { key, subjects, denies: [...denies.values()] };
}

/**
 * `cache`: what an earlier compile left (cache.ts); the result is the same with or without one, only
 * the work differs — with it, a changed policy recompiles the subjects it isolates and no others.
 */
export function compilePolicies(world: PolicyWorld, policies: readonly NetworkPolicy[], options: CompileOptions = {}, cache = new PolicyCompileCache()): PolicyPlan {
  cache.begin(world);
  try {
    return compileWith(cache, world, policies, options);
  } finally {
    cache.end();
  }
}

function compileWith(cache: PolicyCompileCache, world: PolicyWorld, policies: readonly NetworkPolicy[], options: CompileOptions): PolicyPlan {
  const index = cache.indexFor(world);
  const sorted = sortPolicies(policies);
  const compiler = new Compiler(index, cache);

  // Rank = position in (policy "ns/name", rule index) order; the lowest rank admitting a
  // connection is the one whose id the kernel records, as explain() lists it first.
  const ranked: Record<Direction, RankedRule[]> = { ingress: [], egress: [] };
  const rankedDeny: Record<Direction, RankedRule[]> = { ingress: [], egress: [] };
  let rank = 0;
  for (const p of sorted) {
    const version = cache.version(p);
    for (const dir of ["egress", "ingress"] as const) {
      if (!p.policyTypes.includes(dir === "ingress" ? "Ingress" : "Egress")) continue;
      (dir === "ingress" ? p.ingress : p.egress).forEach((rule, ruleIndex) => {
        if (!rule.empty) ranked[dir].push({ rank: rank++, version, ref: { policy: policyKey(p), direction: dir, ruleIndex }, policy: p, rule });
      });
      (dir === "ingress" ? p.ingressDeny : p.egressDeny)?.forEach((rule, ruleIndex) => {
        if (!rule.empty) rankedDeny[dir].push({ rank: rank++, version, ref: { policy: policyKey(p), direction: dir, ruleIndex, deny: true }, policy: p, rule });
      });
    }
  }
  const tiers = adminTiers(sorted);
  const admin = hasTiers(tiers) ? rankAdminRules(tiers, () => rank++, (p) => cache.version(p)) : undefined;
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
  // A policy only ever selects workloads of its own namespace (still in sorted order).
  // Clusterwide policies (namespace "") are candidates everywhere. A namespace's subjects are
  // kept while its candidates are the same policy texts (and the world the same).
  const byNamespace = new Map<string, NetworkPolicy[]>();
  for (const p of sorted) pushTo(byNamespace, p.namespace, p);
  const clusterwide = byNamespace.get("") ?? [];
  const parts: NamespacePart[] = [];
  for (const [ns, views] of index.byNamespace) {
    const own = byNamespace.get(ns) ?? [];
    const candidates = clusterwide.length === 0 ? own : sortPolicies([...own, ...clusterwide]);
    const key = `${ns}\t${candidates.map((p) => cache.version(p)).join(",")}`;
    parts.push(cache.subjectsOf(key, () => namespacePart(key, views, candidates)));
  }
  const subjects = parts.flatMap((p) => p.subjects);
  const keys = [...byRank.values()].map((r) => allowKey(r.ref));
  // Admin-tier Allow and Deny rules carry ids; a Pass never decides, so it has none.
  const decidingAdmin = admin ? [...admin.byRank.values()].filter((r) => r.rule.action !== "Pass") : [];
  for (const r of decidingAdmin) keys.push(allowKey(r.ref));
  for (const part of parts) for (const d of part.denies) keys.push(d.key);
  const ids = allocateIds(keys, cache.hashes);
  // An id is its key's hash unless two keys collided (rare): then every block is made again.
  const rehashed = [...ids].filter(([k, id]) => id !== (cache.hashes.get(k)! & 0x7fffffff)).join(";");
  const idOfRank = (r: number) => ids.get(allowKey(byRank.get(r)!.ref))!;

  const sharded = new Set<string>(ALLOW_MAPS);
  const mapNames: string[] = [...Object.values(MAP).flatMap((m) => (sharded.has(m) ? allowShards(m) : [m])), ...(denyRules ? Object.values(DENY_RULE_MAP) : [])];
  const blocks = new Map<string, Block[]>(mapNames.map((m) => [m, []]));
  // Ports guarded by HTTP rules: their connections go to the L7 proxy (l7-compile.ts).
  const listeners: Omit<L7Listener, "listen">[] = [];
  for (const part of parts) {
    // What a namespace's elements depend on besides the world: its candidates' texts, and whether ids are hashes.
    const made = cache.block(`${part.key}\t${denyRules}\t${rehashed}`, () => {
      const out: NamespaceBlocks = { blocks: [], listeners: [] };
      for (const { dir, view, isolating } of part.subjects) {
        const denyId = ids.get(denyKey(dir, isolating.map(policyKey)))!;
        // Policies and their rules are both in rank order, so concatenating keeps the ranks ascending.
        const rules = isolating.flatMap((p) => rulesOf[dir].get(policyKey(p)) ?? []);
        const denyRulesList = isolating.flatMap((p) => denyRulesOf[dir].get(policyKey(p)) ?? []);
        out.blocks.push(...subjectBlocks(compiler, { dir, view, isolating }, rules, denyRulesList, denyRules, denyId, idOfRank));
        out.listeners.push(...subjectListeners(view, dir, rules.map((r) => ({ ref: r.ref, rule: r.rule, addrs: (f: Family) => compiler.peerAddrs(r, f) }))));
      }
      return out;
    });
    for (const b of made.blocks) blocks.get(sharded.has(b.map) ? allowShard(b.map, b.addr) : b.map)!.push(b);
    listeners.push(...made.listeners);
  }
  const l7 = l7Plan(listeners);

  // The admin tiers' elements (admin/compile.ts), made whole each time; the baseline's only where no
  // NetworkPolicy isolates.
  const adminMaps: string[] = admin ? admin.mapNames : [];
  const adminElementsOf = new Map<string, Element[]>(adminMaps.map((m) => [m, []]));
  if (admin) {
    /** Elements of `boxes` for the subject addresses lo–hi (one address, or a run that shares the boxes). */
    const pushBoxes: PushBoxes = (map, f, lo, hi, boxes, idOf) => {
      const subject = formatRange(f, lo, hi);
      for (const b of boxes) {
        const n = idOf === "set" ? undefined : idOf(b.rank);
        if (idOf !== "set" && n === undefined) continue;
        const peer = formatRange(f, b.aLo, b.aHi);
        lineToNft(b.lLo, b.lHi).forEach((pp, i) => adminElementsOf.get(map)!.push({ k: [lo, b.aLo, b.lLo, BigInt(i)], text: `${subject} . ${peer} . ${pp}${n === undefined ? "" : ` : ${hexId(n)}`}` }));
      }
    };
    adminElements(admin, tiers, index.workloads, compiler, new Set(subjects.map((s) => `${s.dir} ${s.view.key}`)), (r) => ids.get(allowKey(r.ref)), pushBoxes);
  }

  const addrType = (f: Family): string => (FAMILY_BITS[f] === 32 ? "ipv4_addr" : "ipv6_addr");
  const sets: NftSet[] = mapNames.map((name) => {
    const f: Family = name.includes("_v4") ? 4 : 6;
    const allow = name.includes("_allow_") || name.includes("_xdeny_");
    return allow
      ? { name, kind: "map" as const, type: `${addrType(f)} . ${addrType(f)} . inet_proto . inet_service : mark`, flags: ["interval"], elements: joinBlocks(cache, name, blocks.get(name)!) }
      : { name, kind: "map" as const, type: `${addrType(f)} : mark`, elements: joinBlocks(cache, name, blocks.get(name)!) };
  });
  for (const name of adminMaps) {
    const f: Family = name.endsWith("v4") ? 4 : 6;
    const key = `${addrType(f)} . ${addrType(f)} . inet_proto . inet_service`;
    const elements = sortElements(adminElementsOf.get(name)!);
    sets.push(name.includes("_pass_") ? { name, kind: "set", type: key, flags: ["interval"], elements } : { name, kind: "map", type: `${key} : mark`, flags: ["interval"], elements });
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
  for (const d of parts.flatMap((p) => p.denies)) {
    if (seen.has(d.key)) continue;
    seen.add(d.key);
    idTable.push({ id: ids.get(d.key)!, kind: "deny", direction: d.direction, policies: d.policies });
  }
  idTable.sort((a, b) => a.id - b.id);

  const dns = compileDnsPlan(
    subjects.filter((s) => s.dir === "egress").map((s) => ({ addrs: s.view.addrs, isolating: s.isolating })),
    (p) => rulesOf.egress.get(policyKey(p)) ?? [],
    (ref) => ids.get(allowKey(ref))!,
  );
  return {
    sets,
    chains: chains(options.logGroup ?? DEFAULT_LOG_GROUP, options.logRate ?? DEFAULT_LOG_RATE, options.countedLimit ?? ((l) => l), denyRules, fqdn, admin?.flags ?? { admin: false, baseline: false }),
    entryChain: CHAIN.forward,
    ids: idTable,
    l7: l7.listeners,
    ...(dns ? { dns } : {}),
  };
}
