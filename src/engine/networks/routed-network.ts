// The kernel side of a routed network (compile/routed.ts): gateway addresses on lo, unreachable
// subnets, forwarding; and the per-veth sysctls of its workloads.
import { routedNetworkLines, routedNetworkRemovalLines, routedVethSysctls } from "../../compile";
import type { Attachment, Network } from "../../model/types";
import type { EngineContext } from "../context";
import { claimForwarding } from "./forwarding";

export async function createRoutedNetwork(ctx: EngineContext, n: Network): Promise<void> {
  await ctx.kernel.ipBatch(routedNetworkLines(n));
  await claimForwarding(ctx, n);
}

/** Idempotent: an address or route already gone is success. */
export async function deleteRoutedNetwork(ctx: EngineContext, n: Network): Promise<void> {
  for (const line of routedNetworkRemovalLines(n)) {
    try {
      await ctx.kernel.ipBatch([line]);
    } catch (e) {
      if (!/Cannot assign|No such process|not found|does not exist/i.test(String((e as Error).message))) throw e;
    }
  }
}

/** A routed veth's sysctls, once its host end exists. */
export async function routedVethSetup(ctx: EngineContext, atts: readonly Attachment[], networks: ReadonlyMap<string, Network>): Promise<void> {
  for (const a of atts) {
    if (networks.get(a.networkId)?.driver !== "routed") continue;
    for (const [path, value] of routedVethSysctls(a)) await ctx.kernel.sysctl(path, value);
  }
}
