// The host's links as one repair pass sees them: every link in one dump, or only those it names,
// one `ip link show dev` each. Repairs write back what they made, so that later steps of the same
// pass (a routed veth's host routes) see the link up without reading again.
import type { EngineContext } from "../context";
import type { LinkInfo } from "../../kernel/kernel";

export type HostLinks = Map<string, LinkInfo>;

/** Every host link: O(links) in the kernel (for each veth it walks every peer namespace id). */
export async function allHostLinks(ctx: EngineContext): Promise<HostLinks> {
  return new Map((await ctx.kernel.links()).map((l) => [l.name, l]));
}

/** Only these links; a missing one is left out. */
export async function namedHostLinks(ctx: EngineContext, names: Iterable<string>): Promise<HostLinks> {
  const out: HostLinks = new Map();
  for (const name of new Set(names)) {
    const l = await ctx.kernel.link(name);
    if (l) out.set(name, l);
  }
  return out;
}
