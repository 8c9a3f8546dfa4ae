// The rule of one service port's chain, which picks an endpoint by the service's scheduler: a hash
// or counter mod N, constant work per new connection whatever N. With a slot block (slots.ts) the
// rule only leaves the pick in the ct mark (`ct mark set numgen inc mod N offset BASE`) and svc_dnat
// DNATs to that slot of the shared svc_eps/svc_eps6 map. That rule holds no NAT, lookup or verdict:
// the kernel re-checks every chain reachable from the base chains (10,000 services: 10–15 ms) when a
// transaction adds a rule with one, and an endpoint change rewrites this rule (N changes). Without
// a block (all taken, or wrr weights summing past WRR_EXPANDED_MAX after dividing by their gcd) the
// rule DNATs itself from an anonymous map; with client-IP affinity it jumps to per-endpoint chains.
import type { Scheduler } from "../../model/services/service";
import type { Endpoint } from "./endpoints";
import { addrPort, type NftFamily } from "./family";
import { maglevSize, maglevTable, runs } from "./maglev";

const slot = (from: number, to: number) => (from === to ? `${from}` : `${from}-${to}`);

function mapOf(entries: [number, number, string][]): string {
  return `{ ${entries.map(([a, b, t]) => `${slot(a, b)} : ${t}`).join(", ")} }`;
}

/** Endpoints with the fewest established connections (per weight for wlc); ties share by round robin. */
export function leastLoaded(eps: Endpoint[], counts: ReadonlyMap<string, number> | undefined, weighted: boolean): Endpoint[] {
  const live = weighted ? eps.filter((e) => e.weight > 0) : eps;
  const score = (e: Endpoint) => (counts?.get(e.ip) ?? 0) / (weighted ? e.weight : 1);
  const min = Math.min(...live.map(score));
  return live.filter((e) => score(e) === min);
}

/** Slot -> per-endpoint chain (affinity), both families (slot -> endpoint is per family: NftFamily.eps). */
export const ENDPOINT_GOTO_MAP = "svc_eps_goto";
/** wrr expands one slot per unit of weight in the shared map up to this total, runs in its own map beyond. */
const WRR_EXPANDED_MAX = 4096;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

export interface SchedulerRule {
  /** The whole rule. */
  rule: string;
  /** Elements of the shared map the rule's slots index: [map, "slot : target"]. */
  elements: [string, string][];
}

/**
 * Header fields as raw payload: `ip saddr` in this inet table would make nft add a `meta nfproto`
 * check, and meta is one of the expressions that make the kernel re-check the table (see above).
 * The chain is reached only from its family's dispatch map, so the check adds nothing.
 */
const RAW_ADDR = { ip: { saddr: "@nh,96,32", daddr: "@nh,128,32" }, ip6: { saddr: "@nh,64,128", daddr: "@nh,192,128" } } as const;
const RAW_SPORT = "@th,0,16";

/**
 * The rule, or undefined when no endpoint may take connections. `seed` fixes jhash's seed: without
 * one the kernel draws a random seed each time the rule is written, and every endpoint change would
 * re-pin every client (sh) or move every flow (maglev).
 */
export function schedulerRule(
  fam: NftFamily,
  protocol: string,
  scheduler: Scheduler,
  eps: Endpoint[],
  seed: string,
  counts: ReadonlyMap<string, number> | undefined,
  /** With affinity the choice jumps to a per-endpoint chain (which records the client) instead of DNAT. */
  gotoChain: ((e: Endpoint) => string) | undefined,
  /** This port's block: its first slot and the shared slot -> endpoint map (undefined: an anonymous map of its own). */
  slots: { base: number; map: string } | undefined,
): SchedulerRule | undefined {
  const l4 = `meta l4proto ${protocol}`;
  // Each endpoint carries its own target port (a named targetPort may differ per endpoint).
  const target = (e: Endpoint) => (gotoChain ? `goto ${gotoChain(e)}` : `${e.ip} . ${e.port}`);
  const choose = (expr: string, map: string) => (gotoChain ? `${l4} ${expr} vmap ${map}` : `${l4} dnat ${fam.ip} to ${expr} map ${map}`);
  const own = (expr: string, entries: [number, number, string][]): SchedulerRule => ({ rule: choose(expr, mapOf(entries)), elements: [] });
  /** Slot i of the block holds targets[i]; `expr` must yield 0..targets.length-1 before the offset. */
  const slotted = (expr: string, targets: string[]): SchedulerRule => {
    if (!slots) return own(expr, targets.map((t, i) => [i, i, t]));
    const { base } = slots;
    const map = gotoChain ? ENDPOINT_GOTO_MAP : slots.map;
    const rule = gotoChain ? choose(`${expr} offset ${base}`, `@${map}`) : `ct mark set ${expr} offset ${base}`;
    return { rule, elements: targets.map((t, i) => [map, `${base + i} : ${t}`]) };
  };
  const pick = (expr: string, list: Endpoint[], suffix = "") => slotted(`${expr} mod ${list.length}${suffix}`, list.map(target));
  const hashed = (...fields: string[]) => `jhash ${fields.join(" . ")}`;
  let list = eps;
  if (scheduler === "wrr" || scheduler === "wlc") list = eps.filter((e) => e.weight > 0);
  if (scheduler === "lc" || scheduler === "wlc") list = leastLoaded(list, counts, scheduler === "wlc");
  if (list.length === 0) return undefined;
  if (list.length === 1) {
    if (gotoChain) return { rule: `goto ${gotoChain(list[0]!)}`, elements: [] };
    // `mod 1` rather than a constant: a constant is an immediate, which makes the kernel re-check the table.
    if (slots) return pick("numgen inc", list);
    return { rule: `${l4} dnat ${fam.ip} to ${addrPort(list[0]!.ip, list[0]!.port)}`, elements: [] };
  }
  switch (scheduler) {
    case "rr":
    case "lc":
    case "wlc":
      return pick("numgen inc", list);
    case "random":
      return pick("numgen random", list);
    case "sh":
      return pick(hashed(RAW_ADDR[fam.ip].saddr), list, ` seed 0x${seed}`);
    case "dh":
      return pick(hashed(RAW_ADDR[fam.ip].daddr), list, ` seed 0x${seed}`);
    case "wrr": {
      // Consecutive ranges of the counter: exact shares over every SUM connections (100/100/100 is 1/1/1).
      const unit = list.reduce((g, e) => gcd(g, e.weight), 0);
      const weights = list.map((e) => e.weight / unit);
      const total = weights.reduce((sum, w) => sum + w, 0);
      if (total <= WRR_EXPANDED_MAX) return slotted(`numgen inc mod ${total}`, list.flatMap((e, i) => Array<string>(weights[i]!).fill(target(e))));
      let at = 0;
      const entries: [number, number, string][] = list.map((e, i) => {
        const entry: [number, number, string] = [at, at + weights[i]! - 1, target(e)];
        at += weights[i]!;
        return entry;
      });
      return own(`numgen inc mod ${total}`, entries);
    }
    case "maglev": {
      const m = maglevSize(list.length);
      const table = maglevTable(list.map((e) => e.name), m);
      const expr = `${hashed(RAW_ADDR[fam.ip].saddr, RAW_SPORT)} mod ${m} seed 0x${seed}`;
      if (!slots) return own(expr, runs(table).map(([a, b, i]) => [a, b, target(list[i]!)]));
      return slotted(expr, table.map((i) => target(list[i]!)));
    }
  }
}
