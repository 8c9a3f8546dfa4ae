// pontond --flow-offload auto|on|off: the flowtable fast path (compile/flow-offload.ts), turned on
// at start only when the running kernel accepts a flowtable. The probe is one `nft -c` transaction
// declaring a flowtable and a `flow add` rule in a throwaway table: checked, never committed.
import { EngineError } from "../../errors";
import { OFFLOAD_KERNEL_FEATURE, OFFLOAD_PROBE } from "../../compile";
import type { EngineContext } from "../context";
import { nftRefusal } from "./nft-probe";

export type FlowOffloadMode = "auto" | "on" | "off";
export const FLOW_OFFLOAD_MODES: readonly FlowOffloadMode[] = ["auto", "on", "off"];

/** What `ponton info` shows: the mode asked for, whether flows are offloaded, and why not. */
export interface FlowOffloadInfo {
  mode: FlowOffloadMode;
  active: boolean;
  reason?: string;
}

/** Probes and configures the nft sync; `on` on a kernel without flowtables stops start-up. */
export async function startFlowOffload(ctx: EngineContext): Promise<FlowOffloadInfo> {
  const mode = ctx.config.flowOffload;
  if (mode === "off") return { mode, active: false, reason: "turned off (pontond --flow-offload off)" };
  const refused = await nftRefusal(ctx, OFFLOAD_PROBE);
  if (refused !== undefined) {
    const reason = `this kernel has no ${OFFLOAD_KERNEL_FEATURE}: declaring a flowtable fails (${refused})`;
    if (mode === "on") throw new EngineError("UNSUPPORTED", `pontond --flow-offload on: ${reason}`, { hint: "use a kernel built with CONFIG_NF_FLOW_TABLE, or start pontond with --flow-offload auto (off where the kernel lacks it)" });
    return { mode, active: false, reason };
  }
  ctx.nft.options = { ...ctx.nft.options, flowOffload: true };
  // A flowtable refuses an interface that does not exist (yet: a workload being made, one the healer re-creates).
  ctx.nft.presentLinks = async () => new Set((await ctx.kernel.links()).map((l) => l.name));
  return { mode, active: true };
}
