// Makes the kernel match the store: finishes interrupted operations, rebuilds what is missing,
// re-adopts running processes, and replaces our nftables table whole. Touches nothing it does not own.
import type { EngineContext } from "../context";
import { releaseForwarding } from "../networks/forwarding";
import { isOurProcess } from "../workloads/supervisor";
import { finishRemoval } from "../workloads/workloads";
import { repairLinks } from "../heal/repair-links";
import { writeWorkloadFiles } from "../dns/workload-files";

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

  const links = await repairLinks(ctx, "reconcile");
  report.bridgesRebuilt.push(...links.bridgesRebuilt);
  report.endpointsRebuilt.push(...links.endpointsRebuilt);
  // resolv.conf and hosts: the daemon's flags (--dns-domain, --ndots) and the host's resolvers may have changed.
  for (const w of ctx.store.workloads()) await writeWorkloadFiles(ctx, w);

  await ctx.nft.full(ctx.store.state());
  // A crash between a network's removal and its forwarding release leaves the flag: finish it.
  await releaseForwarding(ctx);

  for (const w of ctx.store.workloads()) {
    if (w.state !== "running" || !w.command.length) continue;
    if (w.pid && isOurProcess(w.pid, w.pidStart)) ctx.supervisor.adopt(w.id, w.pid, w.pidStart!);
    else report.deadProcesses.push(w.name);
  }
  return report;
}
