// Use cases on networks: create, remove, and the kernel side of a bridge.
import { EngineError } from "../../errors";
import { hostLimitOf } from "../../kernel/host-limits";
import { bridgeName, bridgeLines, routedIfPrefix } from "../../compile";
import { crossesHost } from "../../model/networks/drivers";
import { createRoutedNetwork, deleteRoutedNetwork } from "./routed-network";
import { allocateSubnet, defaultGateway, type TakenPrefix } from "../../ipam";
import { cidrsOverlap, formatCidr, parseCidr } from "../../model/ip";
import { validateGateway, validateSubnet } from "../../model/networks/subnet-rules";
import { validateLabels, validateName } from "../../model/names";
import { normalizeNetworkDns } from "../../model/workloads/workload-dns";
import { dockerNetworkOptions } from "../../model/networks/docker-network-options";
import { checkShape } from "../../model/shape";
import { NETWORK_FIELDS } from "../../model/request-shapes";
import { parseDriver, parseGatewayMode, parseMode, parseParent, validateMetric, validateMtu, type UserDriver } from "../../model/networks/network-options";
import type { Network } from "../../model/types";
import type { DeclaredNetwork } from "../../model/project/project-file";
import type { EngineContext } from "../context";
import { hostRoutes } from "../workloads/host-routes";
import { newId, now } from "../ids";
import { claimForwarding, releaseForwarding } from "./forwarding";
import { ensureParent, hostLink, probeDriver, uplinkMtu } from "./network-links";

/** A network as a user declares it (CLI, API or `ponton up`). */
export type NetworkSpec = DeclaredNetwork;

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

/** A macvlan/ipvlan subnet is the parent's own segment, which the host routes: only other networks count. */
async function takenPrefixes(ctx: EngineContext, family: 4 | 6, withHostRoutes = true): Promise<TakenPrefix[]> {
  const networks = ctx.store.networks();
  const ours = new Set(networks.map((n) => n.bridge).filter(Boolean));
  const fromNetworks = networks.flatMap((n) => {
    const s = family === 4 ? n.subnet4 : n.subnet6;
    return s ? [{ cidr: s, by: `network ${n.name}` }] : [];
  });
  return withHostRoutes ? [...fromNetworks, ...(await hostRoutes(ctx.exec, family, ours))] : fromNetworks;
}

async function chooseSubnet(ctx: EngineContext, family: 4 | 6, given: string | undefined, name: string, driver: UserDriver = "bridge"): Promise<string> {
  const taken = await takenPrefixes(ctx, family, driver === "bridge" || driver === "routed");
  if (given === undefined) {
    return allocateSubnet(family === 4 ? ctx.config.pool4 : ctx.config.pool6, taken, "pontond --default-pool");
  }
  const subnet = parseCidr(validateSubnet(given, family));
  const clash = taken.find((t) => cidrsOverlap(parseCidr(t.cidr), subnet));
  if (clash) throw new EngineError("SUBNET_OVERLAP", `subnet ${given} of network ${name} overlaps ${clash.cidr} (${clash.by})`);
  return formatCidr(subnet);
}

function chooseGateway(subnet: string, given: string | undefined): string {
  if (given === undefined) return defaultGateway(subnet);
  return validateGateway(subnet, given);
}

/** Validates a spec into a Network (reads the host's links; no kernel change yet). */
export async function planNetwork(ctx: EngineContext, given: NetworkSpec): Promise<Network> {
  const shaped = checkShape<NetworkSpec>("network", given, NETWORK_FIELDS);
  const { options, ...rest } = shaped;
  const spec: NetworkSpec = options ? { ...rest, ...dockerNetworkOptions(options, rest.driver, rest) } : rest;
  const name = validateName("network", spec.name);
  if (ctx.store.network(name)) throw new EngineError("NAME_IN_USE", `network ${name} already exists`);
  const driver = parseDriver(spec.driver);
  const parent = parseParent(driver, spec.parent);
  const mode = parseMode(driver, spec.mode);
  const gatewayMode = parseGatewayMode(spec.gatewayMode);
  if (driver !== "bridge" && driver !== "routed") checkSubInterfaceOptions(name, driver, spec, gatewayMode);
  let subnet4: string | undefined;
  let subnet6: string | undefined;
  const givenV6 = spec.subnet6 ?? (spec.subnet?.includes(":") ? spec.subnet : undefined);
  const givenV4 = spec.subnet?.includes(":") ? undefined : spec.subnet;
  const wantV4 = givenV4 !== undefined || givenV6 === undefined;
  if (wantV4) subnet4 = await chooseSubnet(ctx, 4, givenV4, name, driver);
  if (spec.ipv6 || givenV6 !== undefined) subnet6 = await chooseSubnet(ctx, 6, givenV6, name, driver);
  const gateway4 = subnet4 ? chooseGateway(subnet4, spec.subnet?.includes(":") ? undefined : spec.gateway) : undefined;
  const gateway6 = subnet6 ? chooseGateway(subnet6, spec.gateway6 ?? (spec.subnet?.includes(":") ? spec.gateway : undefined)) : undefined;
  if (spec.hostAccess !== undefined && typeof spec.hostAccess !== "boolean") {
    throw new EngineError("INVALID_ARGUMENT", `network ${name}: hostAccess is true or false, not '${String(spec.hostAccess)}'`);
  }
  const routesTo = [...new Set(spec.routesTo ?? [])];
  for (const other of routesTo) {
    const o = ctx.store.network(other);
    if (!o || !crossesHost(o)) throw new EngineError("NETWORK_NOT_FOUND", `network ${name} routes to unknown bridge or routed network ${other}`);
  }
  const dns = normalizeNetworkDns(spec.dns);
  if (dns.length && driver !== "bridge" && driver !== "routed") throw new EngineError("UNSUPPORTED", `create network ${name}: --dns needs the embedded DNS, which only bridge and routed networks have`);
  // A sub-interface cannot be larger than its parent (a VLAN still to be made: its link's MTU).
  let vlanCreated = false;
  let parentMtu: { mtu: number; of: string } | undefined;
  if (parent) {
    const have = await hostLink(ctx, parent.name);
    const under = have ?? (parent.vlan ? await hostLink(ctx, parent.vlan.link) : undefined);
    if (!under) throw new EngineError("NOT_FOUND", `create network ${name}: parent interface ${parent.vlan && !have ? parent.vlan.link : parent.name} does not exist`);
    vlanCreated = !have;
    parentMtu = { mtu: under.mtu ?? 1500, of: `parent ${under.name}` };
  }
  const mtu = validateMtu(spec.mtu ?? parentMtu?.mtu ?? (await uplinkMtu(ctx)), { ipv6: subnet6 !== undefined, ...(parentMtu ? { max: parentMtu } : {}) });
  const id = driver === "routed" ? routedNetworkId(ctx) : newId();
  const internal = spec.internal ?? false;
  return {
    id,
    name,
    driver,
    bridge: driver === "bridge" ? bridgeName(id, name) : "",
    ...(parent ? { parent: parent.name, mode, ...(vlanCreated ? { vlanCreated } : {}) } : {}),
    ...(subnet4 ? { subnet4, gateway4 } : {}),
    ...(subnet6 ? { subnet6, gateway6 } : {}),
    internal,
    hostAccess: spec.hostAccess ?? !internal,
    icc: spec.icc ?? true,
    // Routed gateway mode and sub-interface drivers never masquerade.
    masquerade: (driver === "bridge" || driver === "routed") && gatewayMode === "nat" && (spec.masquerade ?? !internal),
    routesTo,
    ...(dns.length ? { dns } : {}),
    mtu,
    ...(spec.defaultRouteMetric !== undefined ? { defaultRouteMetric: validateMetric(spec.defaultRouteMetric) } : {}),
    ...(spec.defaultRoute === false ? { defaultRoute: false } : {}),
    ...(driver === "bridge" || driver === "routed" ? { gatewayMode } : {}),
    labels: validateLabels(spec.labels),
    createdAt: now(),
  };
}

/** A routed network's veths share the first 4 hex of its id (names.ts): no two routed networks may. */
function routedNetworkId(ctx: EngineContext): string {
  const taken = new Set(ctx.store.networks().filter((n) => n.driver === "routed").map((n) => routedIfPrefix(n.id)));
  for (;;) {
    const id = newId();
    if (!taken.has(routedIfPrefix(id))) return id;
  }
}

/**
 * macvlan/ipvlan workloads sit on the parent's segment: there is no bridge of ours, so nothing
 * that lives on one (NAT, isolation, routing between networks, routed gateway mode) applies.
 */
function checkSubInterfaceOptions(name: string, driver: UserDriver, spec: NetworkSpec, gatewayMode: string): void {
  const refuse = (option: string, why: string) => {
    throw new EngineError("INVALID_ARGUMENT", `network ${name}: ${option} does not apply to a ${driver} network (${why})`);
  };
  if (spec.subnet === undefined && spec.subnet6 === undefined) {
    throw new EngineError("INVALID_ARGUMENT", `network ${name}: a ${driver} network needs --subnet (the parent's segment) and usually --gateway (its router)`);
  }
  if (gatewayMode !== "nat") refuse("--gateway-mode", "the segment's router is the gateway");
  if (spec.internal) refuse("--internal", "the parent's segment is reachable by design");
  if (spec.icc === false) refuse("--no-icc", driver === "macvlan" ? "use --mode private" : "use a bridge network");
  if (spec.masquerade === true) refuse("masquerade", "traffic leaves by the parent without crossing the host's stack");
  if (spec.routesTo?.length) refuse("--route-to", "there is no bridge to route from");
}

/** Sysctls a bridge network needs, per interface where the kernel allows it (listed in the README). */
export async function networkSysctls(ctx: EngineContext, n: Network): Promise<void> {
  await bridgeNetfilter(ctx);
  // Forwarding: published ports, egress and routing between networks all cross the host.
  await claimForwarding(ctx, n);
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

/** The kernel side of a network: its bridge, or the parent (a VLAN made if asked) its workloads hang from. */
export async function createNetworkLinks(ctx: EngineContext, n: Network): Promise<void> {
  if (n.driver === "bridge") return createBridge(ctx, n);
  if (n.driver === "routed") return createRoutedNetwork(ctx, n);
  if (n.driver !== "macvlan" && n.driver !== "ipvlan") return;
  const parent = parseParent(n.driver, n.parent)!;
  await ensureParent(ctx, n.name, parent);
  await probeDriver(ctx, n.name, n.driver, n.parent!, n.mode!);
}

/** What createNetworkLinks made: the bridge, or a VLAN parent Ponton created. */
async function deleteNetworkLinks(ctx: EngineContext, n: Network): Promise<void> {
  if (n.driver === "bridge") await deleteLink(ctx, n.bridge);
  else if (n.driver === "routed") await deleteRoutedNetwork(ctx, n);
  else if (n.vlanCreated && n.parent) await deleteLink(ctx, n.parent);
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
    await createNetworkLinks(ctx, n);
    await ctx.nft.sync(ctx.store.state());
    return n;
  } catch (e) {
    await deleteNetworkLinks(ctx, n).catch(() => undefined);
    ctx.store.transaction(() => dropNetworkRecord(ctx, n));
    await ctx.nft.sync(ctx.store.state()).catch(() => undefined);
    await releaseForwarding(ctx).catch(() => undefined);
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
  if (n.driver === "host" || n.driver === "null") throw new EngineError("UNSUPPORTED", `network ${name} is built in and cannot be removed`);
  const users = ctx.store.attachmentsOn(n.id);
  if (users.length > 0) {
    const names = ctx.store.workloads().filter((w) => users.some((a) => a.workloadId === w.id)).map((w) => w.name);
    throw new EngineError("NETWORK_IN_USE", `network ${name} has workloads attached: ${names.join(", ")}`);
  }
  // Kernel first, record last: a crash in between leaves a record the reconcile rebuilds, never an orphan bridge.
  await deleteNetworkLinks(ctx, n);
  ctx.store.transaction(() => dropNetworkRecord(ctx, n));
  await ctx.nft.sync(ctx.store.state());
  await releaseForwarding(ctx);
}

/** Turn a failed command into a KERNEL_ERROR naming the operation; keep EngineErrors as they are. */
export function asKernelError(e: unknown, operation: string): EngineError {
  if (e instanceof EngineError) return e.within(operation);
  const limit = hostLimitOf((e as Error).message);
  if (limit) return new EngineError("HOST_LIMIT", `${operation}: ${limit.limit} reached: ${(e as Error).message}`, { hint: limit.hint });
  return new EngineError("KERNEL_ERROR", `${operation}: ${(e as Error).message}`);
}
