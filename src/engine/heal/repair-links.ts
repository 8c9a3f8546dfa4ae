// Makes bridges, their addresses, workload namespaces and veths match the store. Shared by the
// start-up/`ponton reconcile` pass and the healer, which acts on kernel events as they come.
import { existsSync } from "node:fs";
import type { EngineContext } from "../context";
import type { Attachment, Workload } from "../../model/types";
import { bridgeLines, hostNeighbourLines, staticRouteLines } from "../../compile";
import { buildEndpoints, networksById } from "../workloads/endpoints";
import { createBridge, createNetworkLinks, deleteLink, networkSysctls } from "../networks/networks";
import { isOurProcess } from "../workloads/supervisor";
import { finishRemoval } from "../workloads/workloads";
import { repairRouted } from "./repair-routed";
import { allHostLinks, namedHostLinks, type HostLinks } from "./host-links";
import type { RepairScope } from "./repair-scope";

export interface LinkRepair {
  bridgesRebuilt: string[];
  /** Bridges given back a missing address or their up state (`network:address`). */
  bridgesFixed: string[];
  endpointsRebuilt: string[];
  /** Workloads marked `broken`: their namespace vanished and nothing brings it back by itself. */
  broken: string[];
  /** Dumps of every host link read (one for a whole pass, none for a scoped one). */
  fullLinkDumps: number;
}

/**
 * `reconcile` (start-up, `ponton reconcile`) rebuilds every vanished namespace; `heal` (kernel
 * events) rebuilds it only for `--restart always` and marks the others `broken`: a namespace that
 * vanished took its processes with it, and only that policy asks for a new life.
 */
export type RepairMode = "reconcile" | "heal";

/** Workloads whose kernel side we keep (not half made, not half removed). */
export const KEPT_STATES: ReadonlySet<Workload["state"]> = new Set(["running", "stopped", "exited"]);

/**
 * A namespace someone else made (--netns, CNI) that vanished cannot be rebuilt: its owner is done
 * with it (a CNI runtime deletes the netns after DEL). Forget the workload and free its addresses.
 */
export async function dropVanishedNetnsWorkloads(ctx: EngineContext): Promise<string[]> {
  const dropped: string[] = [];
  for (const w of ctx.store.workloads()) {
    if (w.netnsMode === "path" && !existsSync(w.netns)) {
      await finishRemoval(ctx, w).catch(() => undefined);
      dropped.push(w.name);
    }
  }
  return dropped;
}

/** `scope`: only these networks and workloads, reading only their links; everything otherwise. */
export async function repairLinks(ctx: EngineContext, mode: RepairMode, scope?: RepairScope): Promise<LinkRepair> {
  const out: LinkRepair = { bridgesRebuilt: [], bridgesFixed: [], endpointsRebuilt: [], broken: [], fullLinkDumps: 0 };
  const networkList = scope ? ctx.store.networks().filter((n) => scope.networks.has(n.id)) : ctx.store.networks();
  const workloadList = scope ? ctx.store.workloads().filter((w) => scope.workloads.has(w.id)) : ctx.store.workloads();
  const attsOf = new Map(workloadList.map((w) => [w.id, ctx.store.attachmentsOf(w.id)]));
  let links: HostLinks;
  if (scope) {
    const own = networkList.flatMap((n) => (n.driver === "bridge" ? [n.bridge] : n.vlanCreated && n.parent ? [n.parent] : []));
    links = await namedHostLinks(ctx, [...own, ...[...attsOf.values()].flat().flatMap((a) => (a.hostIfname ? [a.hostIfname] : []))]);
  } else {
    links = await allHostLinks(ctx);
    out.fullLinkDumps++;
  }
  for (const n of networkList) {
    if (n.driver === "routed") continue; // repairRouted, below
    if (n.driver !== "bridge") {
      // A VLAN parent Ponton made (gone after a reboot, say) is made again before its workloads.
      if (n.vlanCreated && n.parent && !links.has(n.parent)) await createNetworkLinks(ctx, n);
      continue;
    }
    const bridge = links.get(n.bridge);
    if (!bridge) {
      await createBridge(ctx, n);
      out.bridgesRebuilt.push(n.name);
      continue;
    }
    const have = new Set(await ctx.kernel.addresses(n.bridge));
    const want = bridgeLines(n).filter((l) => l.startsWith("addr add ") && !have.has(l.split(" ")[2]!));
    if (mode === "heal" && !want.length && bridge.up) continue;
    await ctx.kernel.ipBatch([...want, `link set ${n.bridge} up`]);
    if (mode === "reconcile") await networkSysctls(ctx, n);
    if (want.length || !bridge.up) out.bridgesFixed.push(...(want.length ? want.map((l) => `${n.name}:${l.split(" ")[2]}`) : [`${n.name}:up`]));
  }

  const networks = networksById(ctx);
  // A scoped pass asks for its few namespaces; reading /run/netns grows with every workload.
  const present = scope ? undefined : await ctx.kernel.netnsNames();
  const hostLinks = links;
  /** What this pass brought back up (its routes are judged next, by repairRouted). */
  const madeUp = (atts: Attachment[]) => {
    for (const a of atts) if (a.hostIfname) hostLinks.set(a.hostIfname, { ...hostLinks.get(a.hostIfname), name: a.hostIfname, up: true });
  };
  for (const w of workloadList) {
    if (w.netnsMode === "host") continue;
    if (mode === "heal" && !KEPT_STATES.has(w.state)) continue;
    const atts = attsOf.get(w.id)!;
    const netnsMissing = w.netnsMode === "owned" && !(present ? present.has(w.netns) : await ctx.kernel.netnsExists(w.netns));
    if (netnsMissing && w.pid && isOurProcess(w.pid, w.pidStart)) {
      // Only the name was removed: the workload's process still holds the namespace (and its veths). Name it again.
      await ctx.exec.run("ip", ["netns", "attach", w.netns, String(w.pid)]);
      out.endpointsRebuilt.push(w.name);
    } else if (netnsMissing) {
      // The kernel tears a namespace down asynchronously: a host end may still be there and would block the rebuild.
      for (const a of atts) if (a.hostIfname) await deleteLink(ctx, a.hostIfname);
      if (mode === "heal" && w.restart !== "always") {
        const broken: Workload = { ...w, state: "broken" };
        delete broken.pid;
        delete broken.pidStart;
        ctx.store.putWorkload(broken);
        out.broken.push(w.name);
        continue;
      }
      await buildEndpoints(ctx, w, atts, { createNetns: true, routes: true });
      madeUp(atts);
      // Its process died with the namespace: a new life now (the exit handler's own restart then finds it
      // done). At start-up a plain `running` one is left to the exit handler, which applies its policy.
      const revive = w.state === "broken" || (mode === "heal" && w.state === "running");
      if (revive) ctx.store.putWorkload({ ...w, state: "running", ...(w.command.length ? await ctx.supervisor.start({ ...w, state: "running" }) : {}) });
      out.endpointsRebuilt.push(w.name);
      continue;
    }
    // macvlan/ipvlan attachments have no host end (hostIfname ""): only a lost namespace rebuilds them.
    const missing = atts.filter((a) => a.hostIfname !== "" && !hostLinks.has(a.hostIfname));
    if (missing.length) {
      await buildEndpoints(ctx, w, missing, { createNetns: false, routes: false });
      madeUp(missing);
      // Static routes went with the deleted interface; `replace` leaves those that survived alone.
      await ctx.kernel.ipBatch(staticRouteLines(w, "replace"), w.netns);
      out.endpointsRebuilt.push(w.name);
    }
    // A rebuilt bridge lost its ports, and a port set down carries nothing: put them back.
    const loose = atts.filter((a) => {
      const l = hostLinks.get(a.hostIfname);
      const n = networks.get(a.networkId);
      if (n?.driver === "routed") return false; // down: below
      return l && (l.master !== n?.bridge || !l.up);
    });
    // A routed veth set down lost its host routes with it: up, then repairRouted puts them back.
    const down = atts.filter((a) => networks.get(a.networkId)?.driver === "routed" && hostLinks.get(a.hostIfname)?.up === false);
    await ctx.kernel.ipBatch(down.map((a) => `link set ${a.hostIfname} up`));
    madeUp(down);
    if (down.length) out.endpointsRebuilt.push(w.name);
    // A rebuilt bridge also lost the host's neighbour entries for its workloads.
    await ctx.kernel.ipBatch(
      loose.flatMap((a) => {
        const n = networks.get(a.networkId)!;
        return [`link set ${a.hostIfname} master ${n.bridge} up`, `link set ${a.hostIfname} type bridge_slave hairpin on`, ...hostNeighbourLines(a, n)];
      }),
    );
    if (loose.length && !missing.length) out.endpointsRebuilt.push(w.name);
  }
  out.bridgesFixed.push(...(await repairRouted(ctx, hostLinks, scope && { networks: scope.networks, attachments: [...attsOf.values()].flat() })));
  return out;
}
