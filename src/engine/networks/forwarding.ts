// Host forwarding (ip_forward, IPv6 forwarding): turned on by the first network of a family, and off
// again when the last one goes, but only if Ponton was the one that turned it on. That fact is kept
// in the store, so a restart in between keeps it.
import type { Network } from "../../model/types";
import type { EngineContext } from "../context";

const FAMILIES = [
  { family: 4, sysctl: "net/ipv4/ip_forward", flag: "ipv4-forwarding-on", uses: (n: Network) => n.subnet4 !== undefined },
  { family: 6, sysctl: "net/ipv6/conf/all/forwarding", flag: "ipv6-forwarding-on", uses: (n: Network) => n.subnet6 !== undefined },
] as const;

/** Forwarding on for the families this network uses; remembers when it was off before. */
export async function claimForwarding(ctx: EngineContext, n: Network): Promise<void> {
  for (const f of FAMILIES) {
    if (!f.uses(n)) continue;
    if ((await ctx.kernel.readSysctl(f.sysctl)) === "1") continue;
    // Recorded first: a crash before the write leaves a flag whose release writes the value already there.
    ctx.store.setHostFlag(f.flag, true);
    await ctx.kernel.sysctl(f.sysctl, "1");
  }
}

/** Forwarding back off for each family no bridge network uses any more, when Ponton turned it on. */
export async function releaseForwarding(ctx: EngineContext): Promise<void> {
  const bridges = ctx.store.networks().filter((n) => n.driver === "bridge" || n.driver === "routed");
  for (const f of FAMILIES) {
    if (bridges.some(f.uses) || !ctx.store.hostFlag(f.flag)) continue;
    await ctx.kernel.sysctl(f.sysctl, "0");
    ctx.store.setHostFlag(f.flag, false);
  }
}

/** For `ponton info`: which forwarding sysctls Ponton turned on (and will turn off with its last network). */
export function forwardingInfo(ctx: EngineContext): { ipv4: boolean; ipv6: boolean } {
  return { ipv4: ctx.store.hostFlag(FAMILIES[0].flag), ipv6: ctx.store.hostFlag(FAMILIES[1].flag) };
}
