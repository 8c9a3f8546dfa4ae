// Cluster mode: a workload's name is reserved cluster-wide before anything is made, and released
// with it (see src/cluster/workloads/workload-names.ts). A single host has nothing to reserve.
import type { EngineContext } from "../context";
import { checkRunShape } from "../../model/request-shapes";
import { validateRunBasics, type RunSpec } from "../../model/workloads/workload-spec";
import type { Undo } from "./cluster-gate";

const nothing: Undo = async () => undefined;

/** Reserve the name a run asks for; the undo for a run that then fails. */
export async function reserveWorkloadName(ctx: EngineContext, spec: RunSpec): Promise<Undo> {
  if (!ctx.cluster) return nothing;
  let name: string;
  try {
    name = validateRunBasics(checkRunShape<RunSpec>("run", spec)).name;
  } catch {
    return nothing; // the run refuses it with its own error
  }
  // This node's own (NAME_IN_USE from the run itself): its reservation is not this run's to undo.
  if (ctx.store.workload(name)) return nothing;
  return ctx.cluster.reserveName(name);
}

/** Release a removed workload's name; etcd away: it stays reserved for this node (its next run of the name takes it). */
export async function releaseWorkloadName(ctx: EngineContext, name: string): Promise<void> {
  await ctx.cluster?.releaseName(name).catch((e: Error) => console.error(`pontond: cluster: ${e.message}`));
}
