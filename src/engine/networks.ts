// Use cases on networks: create, remove, and the kernel side of a bridge.
import { EngineError } from "../errors";
import { bridgeName, bridgeLines } from "../compile";
import { allocateSubnet, defaultGateway, type TakenPrefix } from "../ipam";
import { canonicalIp, cidrContainsText, cidrsOverlap, formatCidr, parseCidr } from "../model/ip";
import { validateLabels, validateName } from "../model/names";
import { normalizeNetworkDns } from "../model/workload-dns";
import type { Network } from "../model/types";
import type { DeclaredNetwork } from "../model/project-file";
import type { EngineContext } from "./context";
import { hostRoutes } from "./workloads/host-routes";
import { newId, now } from "./ids";

/** A network as a user declares it (CLI, API or `ponton up`). */
export type NetworkSpec = DeclaredNetwork & { driver?: "bridge" };

/** Built-in networks every user knows; `bridge` is created on first use. */
export const BUILTIN_HOST = "host";
export const BUILTIN_NONE = "none";
export const DEFAULT_BRIDGE = "bridge";

function builtin(name: string, driver: "host" | "null"): Network {
  return { id: `builtin-${name}`, name, driver, bridge: "", internal: driver === "null", icc: true, masquerade: false, routesTo: [], labels: {}, createdAt: new Date(0).toISOString() };
}

export function ensureBuiltinNetworks(ctx: EngineContext): void {
  ctx.store.transaction(() => {
    if (!ctx.store.network(BUILTIN_HOST)) ctx.store.putNetwork(builtin(BUILTIN_HOST, "host"));
    if (!ctx.store.network(BUILTIN_NONE)) ctx.store.putNetwork(builtin(BUILTIN_NONE, "null"));
  });
}

async function takenPrefixes(ctx: EngineContext, family: 4 | 6): Promise<TakenPrefix[]> {
  const networks = ctx.store.networks();
  const ours = new Set(networks.map((n) => n.bridge).filter(Boolean));
  const fromNetworks = networks.flatMap((n) => {
    const s = family === 4 ? n.subnet4 : n.subnet6;
    return s ? [{ cidr: s, by: `network ${n.name}` }] : [];
  });
  return [...fromNetworks, ...(await hostRoutes(ctx.exec, family, ours))];
}

async function chooseSubnet(ctx: EngineContext, family: 4 | 6, given: string | undefined, name: string): Promise<string> {
  const taken = await takenPrefixes(ctx, family);
  if (given === undefined) {
    return allocateSubnet(family === 4 ? ctx.config.pool4 : ctx.config.pool6, taken, "pontond --default-pool");
  }
  const subnet = parseCidr(given);
  if (subnet.family !== family) throw new EngineError("INVALID_CIDR", `subnet ${given} is not IPv${family}`);
  const clash = taken.find((t) => cidrsOverlap(parseCidr(t.cidr), subnet));
  if (clash) throw new EngineError("SUBNET_OVERLAP", `subnet ${given} of network ${name} overlaps ${clash.cidr} (${clash.by})`);
  return formatCidr(subnet);
}

function chooseGateway(subnet: string, given: string | undefined): string {
  if (given === undefined) return defaultGateway(subnet);
  const gw = canonicalIp(given);
  if (!cidrContainsText(parseCidr(subnet), gw)) throw new EngineError("ADDRESS_OUT_OF_SUBNET", `gateway ${given} is not inside ${subnet}`);
  return gw;
}

/** Validates a spec into a Network (no kernel change yet). */
export async function planNetwork(ctx: EngineContext, spec: NetworkSpec): Promise<Network> {
  const name = validateName("network", spec.name);
  if (ctx.store.network(name)) throw new EngineError("NAME_IN_USE", `network ${name} already exists`);
  if (spec.driver !== undefined && spec.driver !== "bridge") {
    throw new EngineError("UNSUPPORTED", `driver '${String(spec.driver)}' is not supported`, { hint: "user networks use the bridge driver; 'host' and 'none' are built in" });
  }
  let subnet4: string | undefined;
  let subnet6: string | undefined;
  const givenV6 = spec.subnet6 ?? (spec.subnet?.includes(":") ? spec.subnet : undefined);
  const givenV4 = spec.subnet?.includes(":") ? undefined : spec.subnet;
  const wantV4 = givenV4 !== undefined || givenV6 === undefined;
  if (wantV4) subnet4 = await chooseSubnet(ctx, 4, givenV4, name);
  if (spec.ipv6 || givenV6 !== undefined) subnet6 = await chooseSubnet(ctx, 6, givenV6, name);
  const gateway4 = subnet4 ? chooseGateway(subnet4, spec.subnet?.includes(":") ? undefined : spec.gateway) : undefined;
  const gateway6 = subnet6 ? chooseGateway(subnet6, spec.gateway6 ?? (spec.subnet?.includes(":") ? spec.gateway : undefined)) : undefined;
  const routesTo = [...new Set(spec.routesTo ?? [])];
  for (const other of routesTo) {
    const o = ctx.store.network(other);
    if (!o || o.driver !== "bridge") throw new EngineError("NETWORK_NOT_FOUND", `network ${name} routes to unknown bridge network ${other}`);
  }
  const dns = normalizeNetworkDns(spec.dns);
  const id = newId();
  return {
    id,
    name,
    driver: "bridge",
    bridge: bridgeName(id, name),
    ...(subnet4 ? { subnet4, gateway4 } : {}),
    ...(subnet6 ? { subnet6, gateway6 } : {}),
    internal: spec.internal ?? false,
    icc: spec.icc ?? true,
    masquerade: spec.masquerade ?? !(spec.internal ?? false),
    routesTo,
    ...(dns.length ? { dns } : {}),
    labels: validateLabels(spec.labels),
    createdAt: now(),
  };
}

/** Sysctls a bridge network needs, per interface where the kernel allows it (listed in the README). */
export async function networkSysctls(ctx: EngineContext, n: Network): Promise<void> {
  await bridgeNetfilter(ctx);
  // Forwarding: published ports, egress and routing between networks all cross the host.
  if (n.subnet4) await ctx.kernel.sysctl("net/ipv4/ip_forward", "1");
  if (n.subnet6) await ctx.kernel.sysctl("net/ipv6/conf/all/forwarding", "1");
  // 127.0.0.1-published ports: DNAT'd loopback traffic must be routable out of this bridge only.
  if (n.subnet4) await ctx.kernel.sysctl(`net/ipv4/conf/${n.bridge}/route_localnet`, "1");
}

/**
 * Isolation and policy between workloads of one bridge need bridged IPv4/IPv6 to pass the inet forward
 * hook: br_netfilter, switched on per network namespace (kernel >= 5.3).
 */
async function bridgeNetfilter(ctx: EngineContext): Promise<void> {
  try {
    await ctx.kernel.sysctl("net/bridge/bridge-nf-call-iptables", "1");
    await ctx.kernel.sysctl("net/bridge/bridge-nf-call-ip6tables", "1");
  } catch {
    await ctx.exec.run("modprobe", ["br_netfilter"]).catch(() => undefined);
    try {
      await ctx.kernel.sysctl("net/bridge/bridge-nf-call-iptables", "1");
      await ctx.kernel.sysctl("net/bridge/bridge-nf-call-ip6tables", "1");
    } catch {
      throw new EngineError("KERNEL_ERROR", "the br_netfilter module is not loaded", { hint: "run 'modprobe br_netfilter' (package kmod) and try again" });
    }
  }
}

export async function createBridge(ctx: EngineContext, n: Network): Promise<void> {
  await ctx.kernel.ipBatch(bridgeLines(n));
  await networkSysctls(ctx, n);
}

export async function deleteLink(ctx: EngineContext, name: string): Promise<void> {
  try {
    await ctx.exec.run("ip", ["link", "del", name]);
  } catch (e) {
    if (!/Cannot find device|does not exist/.test(String((e as Error).message))) throw e;
  }
}

export async function createNetwork(ctx: EngineContext, spec: NetworkSpec): Promise<Network> {
  const n = await planNetwork(ctx, spec);
  ctx.store.transaction(() => {
    ctx.store.putNetwork(n);
    // Routing is symmetric: the other side lists us too.
    for (const other of n.routesTo) {
      const o = ctx.store.network(other)!;
      if (!o.routesTo.includes(n.name)) ctx.store.putNetwork({ ...o, routesTo: [...o.routesTo, n.name] });
    }
  });
  try {
    await createBridge(ctx, n);
    await ctx.nft.sync(ctx.store.state());
    return n;
  } catch (e) {
    await deleteLink(ctx, n.bridge).catch(() => undefined);
    ctx.store.transaction(() => dropNetworkRecord(ctx, n));
    await ctx.nft.sync(ctx.store.state()).catch(() => undefined);
    throw asKernelError(e, `create network ${n.name}`);
  }
}

function dropNetworkRecord(ctx: EngineContext, n: Network): void {
  ctx.store.deleteNetwork(n.id);
  for (const o of ctx.store.networks()) {
    if (o.routesTo.includes(n.name)) ctx.store.putNetwork({ ...o, routesTo: o.routesTo.filter((r) => r !== n.name) });
  }
}

export async function removeNetwork(ctx: EngineContext, name: string, opts: { missingOk?: boolean } = {}): Promise<void> {
  const n = ctx.store.network(name);
  if (!n) {
    if (opts.missingOk) return;
    throw new EngineError("NETWORK_NOT_FOUND", `network ${name} not found`);
  }
  if (n.driver !== "bridge") throw new EngineError("UNSUPPORTED", `network ${name} is built in and cannot be removed`);
  const users = ctx.store.attachmentsOn(n.id);
  if (users.length > 0) {
    const names = ctx.store.workloads().filter((w) => users.some((a) => a.workloadId === w.id)).map((w) => w.name);
    throw new EngineError("NETWORK_IN_USE", `network ${name} has workloads attached: ${names.join(", ")}`);
  }
  // Kernel first, record last: a crash in between leaves a record the reconcile rebuilds, never an orphan bridge.
  await deleteLink(ctx, n.bridge);
  ctx.store.transaction(() => dropNetworkRecord(ctx, n));
  await ctx.nft.sync(ctx.store.state());
}

/** Turn a failed command into a KERNEL_ERROR naming the operation; keep EngineErrors as they are. */
export function asKernelError(e: unknown, operation: string): EngineError {
  if (e instanceof EngineError) return e.within(operation);
  return new EngineError("KERNEL_ERROR", `${operation}: ${(e as Error).message}`);
}
