// Makes the kernel match the store: finishes interrupted operations, rebuilds what is missing,
// re-adopts running processes, and replaces our nftables table whole. Touches nothing it does not own.
import type { EngineContext } from "./context";
import { buildEndpoints, networksById } from "./workloads/endpoints";
import { createBridge, deleteLink, networkSysctls } from "./networks";
import { isOurProcess } from "./workloads/supervisor";
import { finishRemoval } from "./workloads/workloads";
import { writeWorkloadFiles } from "./dns/workload-files";
import { bridgeLines } from "../compile";

export interface ReconcileReport {
  /** Records of interrupted runs/removals that were rolled back or completed. */
  finished: string[];
  bridgesRebuilt: string[];
  endpointsRebuilt: string[];
  /** Workloads whose process is gone and must be handled by restart policy. */
  deadProcesses: string[];
}

export async function reconcile(ctx: EngineContext): Promise<ReconcileReport> {
  const report: ReconcileReport = { finished: [], bridgesRebuilt: [], endpointsRebuilt: [], deadProcesses: [] };

  for (const w of ctx.store.workloads()) {
    if (w.state === "creating" || w.state === "removing") {
      if (w.pid && isOurProcess(w.pid, w.pidStart)) await ctx.supervisor.stop(w.pid, w.pidStart, 0);
      // A crash between spawning the command and recording its PID leaves an unrecorded process in our
      // namespace: the teardown in finishRemoval stops whatever still runs there.
      await finishRemoval(ctx, w);
      report.finished.push(`${w.name} (${w.state})`);
    }
  }

  const links = new Map((await ctx.kernel.links()).map((l) => [l.name, l]));
  for (const n of ctx.store.networks()) {
    if (n.driver !== "bridge") continue;
    if (!links.has(n.bridge)) {
      await createBridge(ctx, n);
      report.bridgesRebuilt.push(n.name);
      continue;
    }
    const have = new Set(await ctx.kernel.addresses(n.bridge));
    const want = bridgeLines(n).filter((l) => l.startsWith("addr add ") && !have.has(l.split(" ")[2]!));
    await ctx.kernel.ipBatch([...want, `link set ${n.bridge} up`]);
    await networkSysctls(ctx, n);
  }

  const networks = networksById(ctx);
  const present = await ctx.kernel.netnsNames();
  const hostLinks = new Map((await ctx.kernel.links()).map((l) => [l.name, l]));
  for (const w of ctx.store.workloads()) {
    if (w.netnsMode === "host") continue;
    const atts = ctx.store.attachmentsOf(w.id);
    const netnsMissing = w.netnsMode === "owned" && !present.has(w.netns);
    if (netnsMissing && w.pid && isOurProcess(w.pid, w.pidStart)) {
      // Only the name was removed: the workload's process still holds the namespace (and its veths). Name it again.
      await ctx.exec.run("ip", ["netns", "attach", w.netns, String(w.pid)]);
      report.endpointsRebuilt.push(w.name);
    } else if (netnsMissing) {
      // The kernel tears a namespace down asynchronously: a host end may still be there and would block the rebuild.
      for (const a of atts) await deleteLink(ctx, a.hostIfname);
      await buildEndpoints(ctx, w, atts, { createNetns: true, routes: true });
      report.endpointsRebuilt.push(w.name);
      continue;
    }
    // The daemon's flags (--dns-domain, --ndots) and the host's resolvers may have changed.
    await writeWorkloadFiles(ctx, w);
    const missing = atts.filter((a) => !hostLinks.has(a.hostIfname));
    if (missing.length) {
      await buildEndpoints(ctx, w, missing, { createNetns: false, routes: false });
      // Static routes went with the deleted interface; `replace` leaves those that survived alone.
      await ctx.kernel.ipBatch(w.routes.map((r) => `route replace ${r.dst} via ${r.via}`), w.netns);
      report.endpointsRebuilt.push(w.name);
    }
    // A rebuilt bridge lost its ports: put the surviving veths back on it.
    const reattach = atts.filter((a) => hostLinks.has(a.hostIfname) && hostLinks.get(a.hostIfname)!.master !== networks.get(a.networkId)?.bridge);
    await ctx.kernel.ipBatch(reattach.flatMap((a) => [`link set ${a.hostIfname} master ${networks.get(a.networkId)!.bridge} up`, `link set ${a.hostIfname} type bridge_slave hairpin on`]));
  }

  await ctx.nft.full(ctx.store.state());

  for (const w of ctx.store.workloads()) {
    if (w.state !== "running" || !w.command.length) continue;
    if (w.pid && isOurProcess(w.pid, w.pidStart)) ctx.supervisor.adopt(w.id, w.pid, w.pidStart!);
    else report.deadProcesses.push(w.name);
  }
  return report;
}
