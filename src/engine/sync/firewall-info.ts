// `ponton info` firewall section: what the table does with traffic that is not ours, and the other
// tables' input chains that would drop what Ponton accepts (DNS on gateways): nftables runs every
// base chain of a hook, and a drop in any of them is final, whatever our own chain accepted.
import { NFT_FAMILY, NFT_TABLE } from "../../compile";
import type { EngineContext } from "../context";
import { forwardingInfo } from "../networks/forwarding";

export interface ForeignChain {
  table: string;
  chain: string;
  hook: string;
  priority: number;
}

export interface FirewallInfo {
  forwardOthers: "drop" | "accept";
  /** Forwarding sysctls Ponton turned on (it turns them off again with its last network of that family). */
  forwardingTurnedOn: { ipv4: boolean; ipv6: boolean };
  dns: string;
  /** Base chains of other tables on the input hook with policy drop: they drop our DNS unless they accept it. */
  inputDropChains: ForeignChain[];
}

const DNS_NOTE =
  "accepted first in table inet ponton, chain input (priority filter - 10); an accept only ends that chain, so a drop in another table's input chain (at any priority) still drops DNS queries: let that table accept udp/tcp to the gateways from the bridges";

/** Other tables' input base chains whose policy is drop, from `nft -j list chains` (pure). */
export function inputDropChains(json: string): ForeignChain[] {
  const items = (JSON.parse(json) as { nftables?: Record<string, unknown>[] }).nftables ?? [];
  return items.flatMap((item) => {
    const c = item.chain as { family?: string; table?: string; name?: string; hook?: string; prio?: number; policy?: string } | undefined;
    if (!c || c.hook !== "input" || c.policy !== "drop") return [];
    if (c.family === NFT_FAMILY && c.table === NFT_TABLE) return [];
    return [{ table: `${c.family} ${c.table}`, chain: c.name ?? "", hook: c.hook, priority: c.prio ?? 0 }];
  });
}

export async function firewallInfo(ctx: EngineContext): Promise<FirewallInfo> {
  const listed = await ctx.exec.run("nft", ["-j", "list", "chains"]).catch(() => undefined);
  return {
    forwardOthers: ctx.config.forwardOthers,
    forwardingTurnedOn: forwardingInfo(ctx),
    dns: DNS_NOTE,
    inputDropChains: listed ? inputDropChains(listed.stdout) : [],
  };
}
