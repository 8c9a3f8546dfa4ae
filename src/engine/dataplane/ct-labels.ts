// Flow records are one per connection thanks to a conntrack label (compile/flow-log.ts). A kernel
// without conntrack labels would refuse the whole table for that rule, so pontond probes it at start
// (one `nft -c` transaction in a throwaway table, never committed) and, without it, writes the flow
// records' rules without the label, naming the kernel feature in `ponton info`.
import { CT_LABELS_KERNEL_FEATURE, CT_LABELS_PROBE } from "../../compile";
import type { EngineContext } from "../context";
import { nftRefusal } from "./nft-probe";

/** Whether flow records are one per connection here; why not when they are not. */
export async function probeCtLabels(ctx: EngineContext): Promise<{ active: boolean; reason?: string }> {
  const refused = await nftRefusal(ctx, CT_LABELS_PROBE);
  if (refused === undefined) return { active: true };
  ctx.nft.options = { ...ctx.nft.options, ctLabels: false };
  const reason = `this kernel has no ${CT_LABELS_KERNEL_FEATURE}: a one-way stream's packets are each a flow record (${refused})`;
  return { active: false, reason };
}
