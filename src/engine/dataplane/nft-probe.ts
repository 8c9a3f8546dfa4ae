// Kernel feature probes: one `nft -c` transaction in a throwaway table, checked, never committed.
import type { EngineContext } from "../context";

/** The kernel's words for refusing `text` ("Could not process rule: No such file or directory"), or undefined when it accepts it. */
export async function nftRefusal(ctx: EngineContext, text: string): Promise<string | undefined> {
  try {
    await ctx.kernel.nftCheck(text);
    return undefined;
  } catch (e) {
    const message = (e as Error).message;
    return /Error: ([^\n]+)/.exec(message)?.[1]?.trim() ?? message.split("\n")[0];
  }
}
