// Pure helpers between the FQDN maps and the kernel: element text for a write with a timeout, the
// `nft -f` lines that carry learned elements through a full table reload, and `nft -j list map`
// output read back at start (the kernel kept them while pontond was away).
import type { NftSetRef } from "../../compile/nft-ops";
import { FQDN_MAP } from "../../policy";

const PROTO_NUMBER: Record<string, number> = { tcp: 6, udp: 17, sctp: 132 };

/** The declared map of a learned element (same types as fqdnSets() in src/policy/plan/fqdn-plan.ts). */
export function fqdnSetRef(name: string): NftSetRef {
  const a = name.endsWith("v4") ? "ipv4_addr" : "ipv6_addr";
  const type = name.startsWith("pol_fqdn_port_") ? `${a} . ${a} . inet_proto . inet_service : mark` : `${a} . ${a} : mark`;
  return { name, kind: "map", type, flags: ["timeout"] };
}

/** `KEY timeout Nms : ID`: what the netlink encoder and `nft` both read. */
export function timedElement(key: string, timeoutMs: number, id: number): string {
  return `${key} timeout ${Math.max(1, Math.round(timeoutMs))}ms : ${id}`;
}

export interface KernelFqdnElement {
  set: string;
  key: string;
  id: number;
  timeoutMs: number;
  /** Left before the kernel drops it. */
  expiresMs: number;
}

/** Elements of one `nft -j list map inet ponton pol_fqdn_*` output. */
export function parseListedMap(json: string): KernelFqdnElement[] {
  const out: KernelFqdnElement[] = [];
  const doc = JSON.parse(json) as { nftables?: { map?: { name: string; elem?: unknown[] } }[] };
  for (const item of doc.nftables ?? []) {
    const map = item.map;
    if (!map || !(Object.values(FQDN_MAP) as string[]).includes(map.name)) continue;
    for (const e of map.elem ?? []) {
      if (!Array.isArray(e) || e.length !== 2) continue;
      const [k, data] = e as [{ elem?: { val?: { concat?: unknown[] }; timeout?: number; expires?: number } }, unknown];
      const parts = k.elem?.val?.concat;
      if (!parts || typeof data !== "number") continue;
      const key = parts.map((p) => (typeof p === "string" && PROTO_NUMBER[p] !== undefined ? String(PROTO_NUMBER[p]) : String(p))).join(" . ");
      out.push({ set: map.name, key, id: data, timeoutMs: (k.elem?.timeout ?? 0) * 1000, expiresMs: (k.elem?.expires ?? 0) * 1000 });
    }
  }
  return out;
}

/** `add element` lines with the time each has left, appended to a full reload (one transaction). */
export function carryLines(table: string, elements: readonly { set: string; key: string; id: number; timeoutMs: number; expiresMs: number }[]): string {
  return elements
    .filter((e) => e.expiresMs >= 1000)
    .map((e) => `add element ${table} ${e.set} { ${e.key} timeout ${Math.round(e.timeoutMs)}ms expires ${Math.round(e.expiresMs)}ms : ${e.id} }\n`)
    .join("");
}
