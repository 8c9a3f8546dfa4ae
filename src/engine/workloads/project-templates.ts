// `replicas: N` workloads of a `ponton up` file: templates owned by the project (see templates.ts).
import { EngineError } from "../../errors";
import type { DeclaredWorkload, ProjectFile } from "../../model/project/project-file";
import type { EngineContext } from "../context";
import type { ConvergeReport } from "../project";
import { createTemplate, removeTemplate, scaleTemplates } from "./templates";
import type { RunSpec } from "../../model/workloads/workload-spec";

type Undo = (() => Promise<void>)[];

export const isTemplated = (d: DeclaredWorkload): boolean => d.replicas !== undefined;

/** The declaration without its count: a changed count scales, any other change recreates. */
function declaredText(d: DeclaredWorkload): string {
  const { replicas: _count, ...rest } = d;
  return JSON.stringify(rest);
}

function specOf(project: string, d: DeclaredWorkload): RunSpec {
  const { replicas: _count, ...rest } = d;
  return { ...rest, project };
}

/** Checked before anything changes: a template name held outside the project, or a plain workload named like a replica. */
export function validateProjectTemplates(ctx: EngineContext, file: ProjectFile): void {
  for (const d of file.workloads) {
    const t = ctx.store.template(d.name);
    if (isTemplated(d) && t && t.project !== file.project) throw new EngineError("NAME_IN_USE", `template ${d.name} exists outside project ${file.project}`);
    const w = ctx.store.workload(d.name);
    if (!isTemplated(d) && w?.replicaOf) throw new EngineError("NAME_IN_USE", `workload ${d.name} is a replica of template ${w.replicaOf.template}`);
  }
}

/** The project's templates that left the file, changed, or have a replica on a network being taken down go (with their replicas). */
export async function takeDownTemplates(ctx: EngineContext, file: ProjectFile, goingNets: Set<string>, report: ConvergeReport, changed: Set<string>): Promise<void> {
  const wanted = new Map(file.workloads.filter(isTemplated).map((d) => [d.name, d]));
  const onGoingNet = (name: string) =>
    ctx.store.workloads().some((w) => w.replicaOf?.template === name && ctx.store.attachmentsOf(w.id).some((a) => goingNets.has(a.networkId)));
  for (const t of ctx.store.templates().filter((x) => x.project === file.project)) {
    const d = wanted.get(t.name);
    if (d && t.declared === declaredText(d) && !onGoingNet(t.name)) continue;
    const r = await removeTemplate(ctx, t.name, true);
    report.removed.push(...(r?.removed ?? []).map((n) => `workload ${n}`));
    if (d) changed.add(`template ${t.name}`);
    else report.removed.push(`template ${t.name}`);
  }
}

/** Declared templates are made, or scaled to their count; what this run made is registered in `undo`. */
export async function upTemplates(ctx: EngineContext, file: ProjectFile, report: ConvergeReport, changed: Set<string>, undo: Undo): Promise<void> {
  for (const d of file.workloads.filter(isTemplated)) {
    const existing = ctx.store.template(d.name);
    if (existing) {
      const r = (await scaleTemplates(ctx, { [d.name]: d.replicas }))[0]!;
      if (r.added.length || r.removed.length) undo.push(async () => void (await scaleTemplates(ctx, { [d.name]: existing.replicas })));
      report.unchanged.push(`template ${d.name}`);
      report.created.push(...r.added.map((n) => `workload ${n}`));
      report.removed.push(...r.removed.map((n) => `workload ${n}`));
      continue;
    }
    const r = await createTemplate(ctx, specOf(file.project, d), d.replicas, { project: file.project, declared: declaredText(d) });
    undo.push(async () => void (await removeTemplate(ctx, d.name, true)));
    (changed.has(`template ${d.name}`) ? report.recreated : report.created).push(`template ${d.name}`, ...r.added.map((n) => `workload ${n}`));
  }
}

/** `ponton down`: the project's templates and their replicas, before its workloads and networks. */
export async function downTemplates(ctx: EngineContext, project: string, report: ConvergeReport): Promise<void> {
  for (const t of ctx.store.templates().filter((x) => x.project === project)) {
    const r = await removeTemplate(ctx, t.name, true);
    report.removed.push(`template ${t.name}`, ...(r?.removed ?? []).map((n) => `workload ${n}`));
  }
}
