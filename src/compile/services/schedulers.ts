// One DNAT rule per service port that picks an endpoint by the service's scheduler. The choice is
// an anonymous map lookup keyed by numgen/jhash: constant work per new connection, whatever N.
import type { Scheduler } from "../../model/service";
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

/** The rule body (after the protocol match), or undefined when no endpoint may take connections. */
/**
 * `seed` fixes jhash's seed: without one the kernel draws a random seed each time the rule is
 * written, and every endpoint change would re-pin every client (sh) or move every flow (maglev).
 */
export function schedulerRule(
  fam: NftFamily,
  scheduler: Scheduler,
  eps: Endpoint[],
  seed: string,
  counts?: ReadonlyMap<string, number>,
  /** With affinity the choice jumps to a per-endpoint chain (which records the client) instead of DNAT. */
  gotoChain?: (e: Endpoint) => string,
): string | undefined {
  // Each endpoint carries its own target port (a named targetPort may differ per endpoint).
  const target = (e: Endpoint) => (gotoChain ? `goto ${gotoChain(e)}` : `${e.ip} . ${e.port}`);
  const choose = (expr: string, map: string) => (gotoChain ? `${expr} vmap ${map}` : `dnat ${fam.ip} to ${expr} map ${map}`);
  const pick = (expr: string, list: Endpoint[], suffix = "") => choose(`${expr} mod ${list.length}${suffix}`, mapOf(list.map((e, i) => [i, i, target(e)])));
  let list = eps;
  if (scheduler === "wrr" || scheduler === "wlc") list = eps.filter((e) => e.weight > 0);
  if (scheduler === "lc" || scheduler === "wlc") list = leastLoaded(list, counts, scheduler === "wlc");
  if (list.length === 0) return undefined;
  if (list.length === 1) return gotoChain ? `goto ${gotoChain(list[0]!)}` : `dnat ${fam.ip} to ${addrPort(list[0]!.ip, list[0]!.port)}`;
  switch (scheduler) {
    case "rr":
    case "lc":
    case "wlc":
      return pick("numgen inc", list);
    case "random":
      return pick("numgen random", list);
    case "sh":
      return pick(`jhash ${fam.ip} saddr`, list, ` seed 0x${seed}`);
    case "dh":
      return pick(`jhash ${fam.ip} daddr`, list, ` seed 0x${seed}`);
    case "wrr": {
      // Consecutive ranges of the counter: exact shares over every SUM connections.
      let at = 0;
      const entries: [number, number, string][] = list.map((e) => {
        const entry: [number, number, string] = [at, at + e.weight - 1, target(e)];
        at += e.weight;
        return entry;
      });
      return choose(`numgen inc mod ${at}`, mapOf(entries));
    }
    case "maglev": {
      const m = maglevSize(list.length);
      const table = maglevTable(list.map((e) => e.name), m);
      return choose(`jhash ${fam.ip} saddr . th sport mod ${m} seed 0x${seed}`, mapOf(runs(table).map(([a, b, i]) => [a, b, target(list[i]!)])));
    }
  }
}
