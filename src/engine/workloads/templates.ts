// Workload templates: a stored run request stamped out as replicas NAME-1…NAME-N (Swarm's
// `docker service scale`). Replicas are ordinary workloads marked with `replicaOf`.
import { EngineError } from "../../errors";
import { checkRunShape } from "../../model/request-shapes";
import { checkReplicable, parseReplicas, planScale, replicaEnv, replicaName, validateTemplateName, type Template } from "../../model/workloads/template";
import type { PortMapping, Workload } from "../../model/types";
import type { EngineContext } from "../context";
import { now } from "../ids";
import { serviceHostPortClash } from "../services/services";
import { normalizeAttachSpecs, normalizeRunFields, validateRunBasics, type RunSpec } from "../../model/workloads/workload-spec";
import { removeWorkload, runWorkload } from "./workloads";

export interface ScaleResult {
  template: string;
  replicas: number;
  added: string[];
  removed: string[];
}

type Undo = (() => Promise<void>)[];

export function getTemplate(ctx: EngineContext, name: string): Template {
  const t = ctx.store.template(name);
  if (!t) throw new EngineError("TEMPLATE_NOT_FOUND", `template ${name} not found`);
  return t;
}

const replicasIn = (workloads: readonly Workload[], template: string): Workload[] =>
  workloads.filter((w) => w.replicaOf?.template === template).sort((a, b) => a.replicaOf!.index - b.replicaOf!.index);
const replicasOf = (ctx: EngineContext, template: string): Workload[] => replicasIn(ctx.store.workloads(), template);

/** What `run` checks without the kernel, so a bad template stores nothing. */
function validateTemplateSpec(spec: RunSpec, replicas: number): { name: string; ports: PortMapping[] } {
  const name = validateTemplateName(spec.name);
  validateRunBasics(spec);
  const { ports } = normalizeRunFields(spec);
  checkReplicable(name, spec, replicas);
  return { name, ports };
}

function replicaSpec(t: Template, index: number): RunSpec {
  return { ...t.spec, name: replicaName(t.name, index), env: { ...(t.spec.env ?? {}), ...replicaEnv(t.name, index) }, replicaOf: { template: t.name, index } };
}

/** Makes or removes replicas until `t.replicas` exist; each one made is registered in `undo`. */
async function converge(ctx: EngineContext, t: Template, undo: Undo): Promise<ScaleResult> {
  const workloads = ctx.store.workloads();
  const mine = replicasIn(workloads, t.name);
  const taken = new Set(workloads.filter((w) => w.replicaOf?.template !== t.name).map((w) => w.name));
  const plan = planScale(t.name, mine.map((w) => w.replicaOf!.index), taken, t.replicas);
  const result: ScaleResult = { template: t.name, replicas: t.replicas, added: [], removed: [] };
  for (const index of plan.remove) {
    await removeWorkload(ctx, replicaName(t.name, index), { missingOk: true });
    result.removed.push(replicaName(t.name, index));
  }
  for (const index of plan.add) {
    const name = replicaName(t.name, index);
    await runWorkload(ctx, replicaSpec(t, index));
    undo.push(() => removeWorkload(ctx, name, { missingOk: true, graceMs: 0 }));
    result.added.push(name);
  }
  return result;
}

async function undoAll(undo: Undo): Promise<void> {
  for (const op of undo.reverse()) await op().catch(() => undefined);
}

/** `run --replicas N`: the template and its N replicas, or (on any failure) nothing. */
export async function createTemplate(ctx: EngineContext, given: RunSpec, replicas: unknown, owner: { project?: string; declared?: string } = {}): Promise<ScaleResult> {
  const spec = checkRunShape<RunSpec>("template", given);
  const n = parseReplicas(replicas);
  const { name, ports } = validateTemplateSpec(spec, n);
  if (ctx.store.template(name)) {
    throw new EngineError("NAME_IN_USE", `template ${name} already exists`, { hint: `change its count with 'ponton scale ${name}=N' or remove it with 'ponton template rm ${name}'` });
  }
  const clash = serviceHostPortClash(ctx.store.serviceLookups(), ports);
  if (clash) throw new EngineError("PORT_IN_USE", clash);
  const { replicaOf: _ignored, ...stored } = spec;
  // Intent first: a crash while replicas are made leaves a template that the start-up converge completes.
  const t: Template = { name, spec: { ...stored, name }, replicas: n, createdAt: now(), ...owner };
  // Cluster mode: etcd first (this node its owner); refused there, nothing is made here.
  const unpublish = await ctx.cluster?.template(t, undefined);
  ctx.store.putTemplate(t);
  const undo: Undo = [];
  try {
    return await converge(ctx, t, undo);
  } catch (e) {
    await undoAll(undo);
    ctx.store.deleteTemplate(name);
    await unpublish?.().catch(() => undefined);
    throw e;
  }
}

/**
 * `ponton scale A=N B=M`: every name and count is checked before anything changes. A grow that
 * fails half way (kernel, full subnet) takes back its replicas and its count; a finished shrink stays.
 */
export async function scaleTemplates(ctx: EngineContext, wanted: Record<string, unknown>): Promise<ScaleResult[]> {
  const plan = Object.entries(wanted).map(([name, v]) => {
    const t = getTemplate(ctx, validateTemplateName(name));
    const n = parseReplicas(v, `replicas of ${name}`);
    checkReplicable(t.name, t.spec, n);
    return { t, n };
  });
  if (plan.length === 0) throw new EngineError("INVALID_ARGUMENT", "nothing to scale", { hint: "ponton scale NAME=N [NAME=N…]" });
  const undo: Undo = [];
  const results: ScaleResult[] = [];
  try {
    for (const { t, n } of plan) {
      const scaled = { ...t, replicas: n };
      const unpublish = await ctx.cluster?.template(scaled, t);
      ctx.store.putTemplate(scaled);
      if (n > replicasOf(ctx, t.name).length) undo.push(async () => ctx.store.putTemplate(t), ...(unpublish ? [unpublish] : []));
      results.push(await converge(ctx, scaled, undo));
    }
    return results;
  } catch (e) {
    await undoAll(undo);
    throw e;
  }
}

/** Replicas go first (the count drops to 0 before any is removed, so a crash never brings them back), then the template. */
export async function removeTemplate(ctx: EngineContext, name: string, missingOk = false): Promise<ScaleResult | undefined> {
  const t = missingOk ? ctx.store.template(name) : getTemplate(ctx, name);
  if (!t) return undefined;
  const none = { ...t, replicas: 0 };
  // Cluster mode: the count drops to 0 in etcd first (refused there, no replica is touched), the
  // record goes last (refused then, the template stays with 0 replicas everywhere: rm again).
  await ctx.cluster?.template(none, t);
  ctx.store.putTemplate(none);
  const result = await converge(ctx, none, []);
  await ctx.cluster?.template(undefined, none);
  ctx.store.deleteTemplate(name);
  return result;
}

/** At start-up (and `ponton reconcile`): every template back to its count. Replicas are found by their records, so none is made twice. */
export async function convergeTemplates(ctx: EngineContext): Promise<string[]> {
  const changes: string[] = [];
  for (const t of ctx.store.templates()) {
    try {
      const r = await converge(ctx, t, []);
      changes.push(...r.added.map((n) => `+${n}`), ...r.removed.map((n) => `-${n}`));
    } catch (e) {
      changes.push(`${t.name}: ${(e as Error).message}`);
    }
  }
  return changes;
}

export function templateViews(ctx: EngineContext) {
  const workloads = ctx.store.workloads();
  return ctx.store.templates().map((t) => {
    const mine = replicasIn(workloads, t.name);
    return {
      name: t.name,
      replicas: t.replicas,
      running: mine.filter((w) => w.state === "running").length,
      labels: t.spec.labels ?? {},
      namespace: t.spec.namespace ?? "default",
      networks: normalizeAttachSpecs(t.spec).map((a) => a.network),
      command: t.spec.command ?? [],
      project: t.project,
      createdAt: t.createdAt,
      workloads: mine.map((w) => ({ name: w.name, index: w.replicaOf!.index, state: w.state })),
    };
  });
}
