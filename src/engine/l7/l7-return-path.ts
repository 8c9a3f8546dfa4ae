// Applies compile/l7-return.ts: the bridge-family table that brings a guarded workload's answers
// back to HAProxy, and the routing rule that delivers them locally (fwmark -> a table whose every
// address is local, the usual TPROXY setup). Only in this (the host's) namespace.
import { L7_RETURN_MARK, L7_ROUTE_TABLE, l7ReturnNft, type L7Backend } from "../../compile/l7-return";
import type { L7Listener } from "../../policy";
import type { EngineContext } from "../context";

const MARK = `0x${L7_RETURN_MARK.toString(16)}/0x${L7_RETURN_MARK.toString(16)}`;

/** The listeners whose workload sits on a bridge of this host (the others keep the proxy's address). */
export function bridgedBackends(ctx: EngineContext, listeners: L7Listener[]): Map<string, L7Backend> {
  const out = new Map<string, L7Backend>();
  // No listener, nothing to find: the pass below reads every attachment (per creation, issue 20).
  if (!listeners.some((l) => l.direction === "ingress")) return out;
  const state = ctx.store.state();
  const bridges = new Set(state.networks.filter((n) => n.driver === "bridge").map((n) => n.id));
  const byIp = new Map(state.attachments.filter((a) => bridges.has(a.networkId)).flatMap((a) => [a.ip4, a.ip6].filter((ip): ip is string => !!ip).map((ip) => [ip, a.networkId] as const)));
  for (const l of listeners) {
    if (l.direction !== "ingress") continue;
    const networkId = byIp.get(l.ip);
    if (networkId) out.set(`${l.ip}:${l.port}`, { ip: l.ip, port: l.port, networkId });
  }
  return out;
}

/**
 * The routing rule (while any port is guarded: TPROXY'd connections need it too) and the bridge
 * table; returns what was applied, so an unchanged plan costs nothing.
 */
export async function applyReturnPath(ctx: EngineContext, guarded: boolean, backends: L7Backend[], last: string | undefined): Promise<string> {
  const text = `${guarded}\n${l7ReturnNft(backends)}`;
  if (text === last) return text;
  const table = String(L7_ROUTE_TABLE);
  const families = [["-4", "0.0.0.0/0"], ["-6", "::/0"]] as const;
  if (guarded) {
    for (const [f, all] of families) {
      await ctx.exec.run("ip", [f, "route", "replace", "local", all, "dev", "lo", "table", table]);
      const rules = (await ctx.exec.run("ip", [f, "rule", "show", "lookup", table])).stdout;
      if (!rules.includes("fwmark")) await ctx.exec.run("ip", [f, "rule", "add", "fwmark", MARK, "lookup", table, "priority", "100"]);
    }
  }
  await ctx.kernel.nft(l7ReturnNft(backends));
  if (!guarded) {
    for (const [f] of families) {
      await ctx.exec.run("ip", [f, "rule", "del", "fwmark", MARK, "lookup", table]).catch(() => undefined);
      await ctx.exec.run("ip", [f, "route", "flush", "table", table]).catch(() => undefined);
    }
  }
  return text;
}
