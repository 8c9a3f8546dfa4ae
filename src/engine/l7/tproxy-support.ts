// Egress HTTP rules hand connections to HAProxy by TPROXY (compile/l7-chains.ts). A kernel without
// nft_tproxy would refuse a table that holds a tproxy rule, so pontond probes it at start (one
// `nft -c` transaction in a throwaway table, never committed); without it the rule is not written
// and egress HTTP rules are refused, naming the kernel feature.
import { TPROXY_KERNEL_FEATURE, TPROXY_PROBE } from "../../compile";
import { EngineError } from "../../errors";
import type { NftPlan } from "../../compile";
import type { EngineContext } from "../context";
import { nftRefusal } from "../dataplane/nft-probe";

/** What `ponton info` shows: whether egress HTTP rules can be proxied here, and why not. */
export interface TproxyInfo {
  active: boolean;
  reason?: string;
}

export async function probeTproxy(ctx: EngineContext): Promise<TproxyInfo> {
  const refused = await nftRefusal(ctx, TPROXY_PROBE);
  if (refused === undefined) return { active: true };
  ctx.nft.options = { ...ctx.nft.options, tproxy: false };
  return { active: false, reason: `this kernel has no ${TPROXY_KERNEL_FEATURE}: a tproxy rule fails (${refused})` };
}

/** Before anything is stored: a plan with egress HTTP listeners needs TPROXY. */
export function refuseEgressHttpWithoutTproxy(ctx: EngineContext, plan: NftPlan, what: string): void {
  if (ctx.nft.options.tproxy !== false || !plan.policy.l7.some((l) => l.direction === "egress")) return;
  throw new EngineError("UNSUPPORTED", `${what}: egress HTTP rules (egress toPorts.rules.http) need TPROXY, and this kernel has no ${TPROXY_KERNEL_FEATURE}`, {
    hint: "use a kernel with CONFIG_NFT_TPROXY, or write the HTTP rules on the destination's ingress",
  });
}
