// The host links a network depends on: the uplink whose MTU a bridge copies, and the parent of a
// macvlan/ipvlan network (with its 802.1Q sub-interface), probed for kernel support before use.
import { EngineError } from "../../errors";
import { driverProbeName, vlanLines } from "../../compile";
import { MTU_FALLBACK, type ParentSpec, type SubInterfaceDriver } from "../../model/networks/network-options";
import type { LinkInfo } from "../../kernel";
import type { EngineContext } from "../context";

/** Each driver's kernel feature, named when the running kernel lacks it. */
const FEATURE: Record<SubInterfaceDriver | "vlan", string> = {
  macvlan: "macvlan support (CONFIG_MACVLAN)",
  ipvlan: "ipvlan support (CONFIG_IPVLAN)",
  vlan: "802.1Q VLAN support (CONFIG_VLAN_8021Q, module 8021q)",
};

/** iproute2's words when the kernel has no such link type (and cannot load its module). */
const NO_LINK_TYPE = /Unknown device type|Operation not supported|not supported/i;

export async function hostLink(ctx: EngineContext, name: string): Promise<LinkInfo | undefined> {
  return (await ctx.kernel.links()).find((l) => l.name === name);
}

/** The MTU of the default route's device (the uplink), or 1500 when the host has no default route. */
export async function uplinkMtu(ctx: EngineContext): Promise<number> {
  const { stdout } = await ctx.exec.run("ip", ["-json", "route", "show", "default"]);
  const dev = (JSON.parse(stdout || "[]") as { dev?: string }[]).find((r) => r.dev)?.dev;
  return (dev && (await hostLink(ctx, dev))?.mtu) || MTU_FALLBACK;
}

/** Best effort: used on links this module made itself, after a failure. */
async function dropLink(ctx: EngineContext, name: string): Promise<void> {
  await ctx.exec.run("ip", ["link", "del", name]);
}

function refuse(feature: keyof typeof FEATURE, operation: string, e: unknown): never {
  const message = (e as Error).message;
  if (NO_LINK_TYPE.test(message)) {
    throw new EngineError("UNSUPPORTED", `${operation}: this kernel has no ${FEATURE[feature]}`, {
      hint: `use a kernel built with ${FEATURE[feature]}, or a bridge network`,
    });
  }
  throw new EngineError("KERNEL_ERROR", `${operation}: ${message}`);
}

/**
 * The parent as a macvlan/ipvlan network needs it: an existing link, or for `IF.ID` an 802.1Q
 * sub-interface of an existing IF that Ponton creates (and reports, to remove it with the network).
 */
export async function ensureParent(ctx: EngineContext, network: string, parent: ParentSpec): Promise<{ link: LinkInfo; created: boolean }> {
  const have = await hostLink(ctx, parent.name);
  if (have) return { link: have, created: false };
  if (!parent.vlan) throw new EngineError("NOT_FOUND", `create network ${network}: parent interface ${parent.name} does not exist`);
  if (!(await hostLink(ctx, parent.vlan.link))) {
    throw new EngineError("NOT_FOUND", `create network ${network}: interface ${parent.vlan.link} (the link of VLAN ${parent.name}) does not exist`);
  }
  try {
    await ctx.kernel.ipBatch(vlanLines(parent.name, parent.vlan.link, parent.vlan.id));
  } catch (e) {
    await dropLink(ctx, parent.name).catch(() => undefined);
    refuse("vlan", `create network ${network}: create VLAN ${parent.name}`, e);
  }
  const made = await hostLink(ctx, parent.name);
  if (!made) throw new EngineError("KERNEL_ERROR", `create network ${network}: VLAN ${parent.name} was not created`);
  return { link: made, created: true };
}

/**
 * Whether the kernel makes this driver's sub-interfaces: a throwaway one on the parent, deleted at
 * once, so the network is refused at `network create` rather than at its first workload.
 */
export async function probeDriver(ctx: EngineContext, network: string, driver: SubInterfaceDriver, parent: string, mode: string): Promise<void> {
  const probe = driverProbeName(process.pid);
  try {
    await ctx.kernel.ipBatch([`link add link ${parent} name ${probe} type ${driver} mode ${mode}`]);
  } catch (e) {
    refuse(driver, `create network ${network}: ${driver} on ${parent}`, e);
  } finally {
    await dropLink(ctx, probe).catch(() => undefined);
  }
}
