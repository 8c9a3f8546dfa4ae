// Use cases on workloads: run, remove, stop, start, connect, disconnect.
import { existsSync } from "node:fs";
import { removeGivenNetnsFiles, writeWorkloadFiles } from "../dns/workload-files";
import { checkHostNetworkDns } from "../../model/workloads/workload-dns";
import { EngineError } from "../../errors";
import { checkRunShape } from "../../model/request-shapes";
import { releaseWorkloadName, reserveWorkloadName } from "../cluster/workload-names";
import { requestedAddresses } from "../../model/networks/subnet-rules";
import { hostVethName, routedVethName, macFor, netnsName, defaultRouteAttachment, defaultRouteMetric } from "../../compile";
import { AddressCursors, allocateAddress } from "../../ipam";
import type { Attachment, Network, PortMapping, Workload } from "../../model/types";
import type { EngineContext } from "../context";
import { allSettledOrThrow, buildEndpoints, networksById, teardownEndpoints } from "./endpoints";
import { newId, now } from "../ids";
import { asKernelError, createNetwork, DEFAULT_BRIDGE, removeNetwork } from "../networks/networks";
import {
  modeOf,
  normalizeAliases,
  normalizeRunFields,
  portClash,
  validateRunBasics,
  type AttachSpec,
  type RunSpec,
} from "../../model/workloads/workload-spec";
import { formatPort } from "../../model/ports";
import { serviceHostPortClash } from "../services/services";
import { claimPorts } from "../published-ports";

/** Networks a workload gets an interface on (host and none are namespaces, not interfaces). */
function attachable(n: Network): boolean {
  return n.driver === "bridge" || n.driver === "routed" || n.driver === "macvlan" || n.driver === "ipvlan";
}

/** The host end's name: a bridge port, a routed veth (unique among the network's, see routedVethName), or none. */
function hostEnd(w: Workload, n: Network, used: CountedSet): string {
  if (n.driver === "bridge") return hostVethName(w.id, n.id);
  if (n.driver !== "routed") return "";
  let salt = 0;
  while (used.has(routedVethName(w.id, n.id, salt))) salt++;
  return routedVethName(w.id, n.id, salt);
}
import { checkBridgePorts } from "../../model/limits";
import { crossesHost } from "../../model/networks/drivers";
import { CountedSet, HeldOnNetworks } from "./held-on-network";

async function resolveNetworks(ctx: EngineContext, specs: AttachSpec[]): Promise<Network[]> {
  const nets: Network[] = [];
  for (const s of specs) {
    let n = ctx.store.network(s.network);
    if (!n && s.network === DEFAULT_BRIDGE) n = await createNetwork(ctx, { name: DEFAULT_BRIDGE });
    if (!n) throw new EngineError("NETWORK_NOT_FOUND", `network ${s.network} not found`);
    nets.push(n);
  }
  return nets;
}

/** Where each network's next address scan starts, and what each network holds, per store (one engine's). */
const cursorsOf = new WeakMap<object, AddressCursors>();
const heldOf = new WeakMap<object, HeldOnNetworks>();

/** Allocates the addresses of one attachment; runs inside a store transaction. */
function allocateAttachment(ctx: EngineContext, w: Workload, n: Network, s: AttachSpec, index: number): Attachment {
  // What the network holds, kept per change (no pass over the store's list), and sticky rows asked
  // by address: both were a pass over every workload of the network per creation (issue 20).
  const held = (heldOf.get(ctx.store) ?? heldOf.set(ctx.store, new HeldOnNetworks()).get(ctx.store)!).of(ctx.store.attachments(), n.id);
  if (n.driver === "bridge") checkBridgePorts(n.name, held.count);
  const asked = requestedAddresses(s.ip, s.ip6);
  const pick = (family: 4 | 6): string | undefined => {
    const subnet = family === 4 ? n.subnet4 : n.subnet6;
    const requested = asked[family];
    if (!subnet) {
      if (requested) throw new EngineError("ADDRESS_OUT_OF_SUBNET", `network ${n.name} has no IPv${family} subnet for ${requested}`);
      return undefined;
    }
    const previous = ctx.store.sticky(n.id, w.name, family);
    const used = family === 4 ? held.ip4 : held.ip6;
    const ip = allocateAddress({
      subnet,
      gateway: (family === 4 ? n.gateway4 : n.gateway6)!,
      used,
      cursor: (cursorsOf.get(ctx.store) ?? cursorsOf.set(ctx.store, new AddressCursors()).get(ctx.store)!).cursor(`${n.id} ${family} ${subnet}`, used.size),
      reservedForOthers: { has: (ip) => ctx.store.stickyNames(n.id, ip).some((name) => name !== w.name) },
      ...(requested ? { requested } : {}),
      ...(previous ? { sticky: previous } : {}),
    });
    ctx.store.setSticky(n.id, w.name, family, ip);
    return ip;
  };
  const ip4 = pick(4);
  const ip6 = pick(6);
  return {
    workloadId: w.id,
    networkId: n.id,
    ifname: s.ifname ?? `eth${index}`,
    // macvlan/ipvlan: no host end; an ipvlan child has its parent's MAC.
    hostIfname: hostEnd(w, n, held.hostIfnames),
    mac: n.driver === "ipvlan" ? "" : (s.mac ?? macFor(ip4, `${w.id}/${n.id}`)),
    ...(ip4 ? { ip4 } : {}),
    ...(ip6 ? { ip6 } : {}),
    index,
    ...(s.aliases?.length ? { aliases: normalizeAliases(s.aliases) } : {}),
  };
}

export async function runWorkload(ctx: EngineContext, spec: RunSpec): Promise<Workload> {
  const hadDefault = ctx.store.network(DEFAULT_BRIDGE) !== undefined;
  const unreserve = await reserveWorkloadName(ctx, spec);
  try {
    return await runWorkloadOnce(ctx, spec);
  } catch (e) {
    await unreserve().catch(() => undefined);
    // The default bridge is made on first use: a first use that fails must not leave it behind.
    const made = hadDefault ? undefined : ctx.store.network(DEFAULT_BRIDGE);
    if (made && ctx.store.attachmentsOn(made.id).length === 0) await removeNetwork(ctx, DEFAULT_BRIDGE, { missingOk: true }).catch(() => undefined);
    throw e;
  }
}

async function runWorkloadOnce(ctx: EngineContext, given: RunSpec): Promise<Workload> {
  const spec = checkRunShape<RunSpec>("run", given);
  const { name, labels } = validateRunBasics(spec);
  if (ctx.store.workload(name)) throw new EngineError("NAME_IN_USE", `workload ${name} already exists`);
  const { attachSpecs, ports: wanted, routes, command, restart, namespace, exposes, etc } = normalizeRunFields(spec, ctx.config.maxPortRange);
  if (spec.netns && !existsSync(spec.netns)) throw new EngineError("NOT_FOUND", `network namespace ${spec.netns} does not exist`);
  const clash = portClash(wanted, ctx.store.workloads());
  if (clash) throw new EngineError("PORT_IN_USE", `host port ${formatPort(clash.port)} is already published by workload ${clash.holder.name}`);

  const nets = await resolveNetworks(ctx, attachSpecs);
  const mode = modeOf(nets, spec.netns);
  const bridged = nets.filter(crossesHost);
  const onSegment = nets.find((n) => n.driver === "macvlan" || n.driver === "ipvlan");
  if (wanted.length && onSegment && !bridged.some((n) => !n.internal)) {
    throw new EngineError("UNSUPPORTED", `workload ${name} publishes ports but its network ${onSegment.name} is ${onSegment.driver}: there is no host port to publish`, {
      hint: `${onSegment.driver} workloads sit on the parent's segment: reach them at their own address, or also attach a bridge network`,
    });
  }
  if (wanted.length && !bridged.some((n) => !n.internal)) {
    throw new EngineError("UNSUPPORTED", `workload ${name} publishes ports but has no non-internal bridge or routed network`, {
      hint: "ports are published from bridge networks; host-network workloads use the host's ports directly",
    });
  }
  if (mode === "host" && command.length === 0) {
    throw new EngineError("INVALID_ARGUMENT", "a workload on the host network needs a command to run");
  }
  if (mode === "host") checkHostNetworkDns(name, etc.dns);
  const netns = mode === "owned" ? netnsName(ctx.config.prefix, name) : mode === "path" ? spec.netns! : "";
  if (mode === "owned" && (await ctx.kernel.netnsExists(netns))) {
    throw new EngineError("NAME_IN_USE", `a network namespace named ${netns} already exists and is not ours`);
  }
  // Last of the checks: holding the host ports is the first thing made (and let go on any failure).
  const taken = (p: PortMapping) => portClash([p], ctx.store.workloads()) !== undefined || serviceHostPortClash(ctx.store.serviceLookups(), [p]) !== undefined;
  // A CNI runtime holds the host ports itself (see heldEntries).
  const ports = spec.cni ? wanted : await claimPorts(ctx, name, wanted, taken);

  const w: Workload = {
    id: newId(),
    name,
    labels,
    netnsMode: mode,
    netns,
    command,
    env: spec.env ?? {},
    restart,
    routes,
    ports,
    state: "creating",
    createdAt: now(),
    ...(spec.project ? { project: spec.project } : {}),
    ...(spec.cni ? { cni: spec.cni } : {}),
    namespace,
    ...(exposes.length ? { exposes } : {}),
    ...(spec.replicaOf ? { replicaOf: spec.replicaOf } : {}),
    ...etc,
  };
  // Intent first: a crash from here on leaves a 'creating' record that the reconcile undoes.
  const atts = ctx.store.transaction(() => {
    ctx.store.putWorkload(w);
    return nets
      .map((n, i) => ({ n, s: attachSpecs[i]! }))
      .filter(({ n }) => attachable(n))
      .map(({ n, s }, i) => {
        const a = allocateAttachment(ctx, w, n, s, i);
        ctx.store.putAttachment(a);
        return a;
      });
  });
  try {
    // Published-port elements name addresses only, so the nft diff need not wait for the links.
    await allSettledOrThrow([buildEndpoints(ctx, w, atts, { createNetns: mode === "owned", routes: true }), ctx.nft.sync(ctx.store.state())]);
    const running: Workload = { ...w, state: "running" };
    if (command.length) Object.assign(running, await ctx.supervisor.start(running));
    ctx.store.putWorkload(running);
    return running;
  } catch (e) {
    await teardownEndpoints(ctx, w, atts).catch(() => undefined);
    ctx.store.transaction(() => ctx.store.deleteWorkload(w.id));
    ctx.supervisor.removeLog(w.id);
    await ctx.nft.sync(ctx.store.state()).catch(() => undefined);
    throw asKernelError(e, `run ${name}`);
  }
}

export function getWorkload(ctx: EngineContext, name: string): Workload {
  const w = ctx.store.workload(name);
  if (!w) throw new EngineError("WORKLOAD_NOT_FOUND", `workload ${name} not found`);
  return w;
}

/** Stop the process, remove the kernel objects, then the record (and so its addresses). */
export async function removeWorkload(ctx: EngineContext, name: string, opts: { missingOk?: boolean; graceMs?: number } = {}): Promise<void> {
  const found = ctx.store.workload(name);
  if (!found) {
    if (opts.missingOk) return;
    throw new EngineError("WORKLOAD_NOT_FOUND", `workload ${name} not found`);
  }
  const w: Workload = { ...found, state: "removing" };
  ctx.store.putWorkload(w);
  if (w.pid) await ctx.supervisor.stop(w.pid, w.pidStart, opts.graceMs ?? ctx.config.stopGraceMs);
  await finishRemoval(ctx, w);
}

/** The part of a removal that the reconcile also runs for a record left in 'removing'/'creating'. */
export async function finishRemoval(ctx: EngineContext, w: Workload): Promise<void> {
  const atts = ctx.store.attachmentsOf(w.id);
  // A 'removing' record compiles without its ports, so the nft diff runs beside the link teardown.
  const removing: Workload = { ...w, state: "removing" };
  if (w.state !== "removing") ctx.store.putWorkload(removing);
  try {
    await allSettledOrThrow([teardownEndpoints(ctx, removing, atts), ctx.nft.sync(ctx.store.state()), removeGivenNetnsFiles(ctx, removing)]);
  } catch (e) {
    throw asKernelError(e, `remove ${w.name}`);
  }
  ctx.store.transaction(() => ctx.store.deleteWorkload(w.id));
  ctx.supervisor.removeLog(w.id);
  await ctx.nft.sync(ctx.store.state());
  await releaseWorkloadName(ctx, w.name);
}

export async function stopWorkload(ctx: EngineContext, name: string, graceMs?: number): Promise<Workload> {
  const w = getWorkload(ctx, name);
  const stopped: Workload = { ...w, state: "stopped" };
  ctx.store.putWorkload(stopped);
  if (w.pid) await ctx.supervisor.stop(w.pid, w.pidStart, graceMs ?? ctx.config.stopGraceMs);
  return stopped;
}

export async function startWorkload(ctx: EngineContext, name: string): Promise<Workload> {
  const w = getWorkload(ctx, name);
  if (w.state === "running" && w.pid) return w;
  // A broken workload lost its namespace: a new one, with the addresses it holds.
  if (w.state === "broken") await buildEndpoints(ctx, w, ctx.store.attachmentsOf(w.id), { createNetns: true, routes: true });
  const started: Workload = { ...w, state: "running" };
  delete started.exitCode;
  if (w.command.length) Object.assign(started, await ctx.supervisor.start(started));
  ctx.store.putWorkload(started);
  return started;
}

export async function connectWorkload(ctx: EngineContext, workloadName: string, spec: AttachSpec): Promise<Attachment> {
  const w = getWorkload(ctx, workloadName);
  const [n] = await resolveNetworks(ctx, [spec]);
  if (!attachable(n!) || w.netnsMode === "host") throw new EngineError("UNSUPPORTED", `cannot connect ${w.name} to network ${n!.name}`);
  const existing = ctx.store.attachmentsOf(w.id);
  if (existing.some((a) => a.networkId === n!.id)) throw new EngineError("ALREADY_CONNECTED", `workload ${w.name} is already on network ${n!.name}`);
  const index = existing.reduce((m, a) => Math.max(m, a.index + 1), 0);
  const a = ctx.store.transaction(() => {
    const att = allocateAttachment(ctx, w, n!, spec, index);
    ctx.store.putAttachment(att);
    return att;
  });
  try {
    await buildEndpoints(ctx, w, [a], { createNetns: false, routes: false });
    await ctx.nft.sync(ctx.store.state());
    await writeWorkloadFiles(ctx, w);
    return a;
  } catch (e) {
    await teardownEndpoints(ctx, { ...w, netnsMode: "path" }, [a]).catch(() => undefined);
    ctx.store.transaction(() => ctx.store.deleteAttachment(w.id, a.networkId));
    await ctx.nft.sync(ctx.store.state()).catch(() => undefined);
    throw asKernelError(e, `connect ${w.name} to ${n!.name}`);
  }
}

export async function disconnectWorkload(ctx: EngineContext, workloadName: string, networkName: string): Promise<void> {
  const w = getWorkload(ctx, workloadName);
  const n = ctx.store.network(networkName);
  if (!n) throw new EngineError("NETWORK_NOT_FOUND", `network ${networkName} not found`);
  const atts = ctx.store.attachmentsOf(w.id);
  const a = atts.find((x) => x.networkId === n.id);
  if (!a) throw new EngineError("NOT_CONNECTED", `workload ${w.name} is not on network ${networkName}`);
  const networks = networksById(ctx);
  const before = defaultRouteAttachment(atts, networks);
  // Deleting the host end removes the pair (and the routes through it).
  await teardownEndpoints(ctx, { ...w, netnsMode: "path" }, [a]);
  ctx.store.transaction(() => ctx.store.deleteAttachment(w.id, n.id));
  await ctx.nft.sync(ctx.store.state());
  const after = defaultRouteAttachment(ctx.store.attachmentsOf(w.id), networks);
  if (before?.networkId === a.networkId && after) {
    // The next network's default route is normally there already (with its metric): `replace` keeps it so,
    // and adds it for a workload made when only the first network had one.
    const an = networks.get(after.networkId)!;
    const metric = defaultRouteMetric(after, an);
    const m = metric === undefined || metric === null ? "" : ` metric ${metric}`;
    const lines = [];
    if (after.ip4 && an.gateway4) lines.push(`route replace default via ${an.gateway4} dev ${after.ifname}${m}`);
    if (after.ip6 && an.gateway6) lines.push(`route replace default via ${an.gateway6} dev ${after.ifname}${m}`);
    await ctx.kernel.ipBatch(lines, w.netns);
  }
  await writeWorkloadFiles(ctx, w);
}
