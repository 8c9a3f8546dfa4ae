// `ponton up` / `ponton down`: converge the objects a project file declares.
import { EngineError } from "../errors";
import type { DeclaredNetwork, DeclaredWorkload, ProjectFile } from "../model/project-file";
import type { Network } from "../model/types";
import type { EngineContext } from "./context";
import { createNetwork, planNetwork, removeNetwork } from "./networks";
import { removeWorkload, runWorkload } from "./workloads";
import { normalizePorts, normalizeRoutes, normalizeRestart, normalizeAttachSpecs, type RunSpec } from "./workload-spec";

export const PROJECT_LABEL = "ponton.project";

export interface ConvergeReport {
  created: string[];
  recreated: string[];
  unchanged: string[];
  removed: string[];
}

function networkMatches(n: Network, d: DeclaredNetwork): boolean {
  const same = (a: unknown, b: unknown) => a === undefined || a === b;
  return (
    same(d.subnet && !d.subnet.includes(":") ? d.subnet : undefined, n.subnet4) &&
    same(d.gateway, d.subnet?.includes(":") ? n.gateway6 : n.gateway4) &&
    (d.internal ?? false) === n.internal &&
    (d.icc ?? true) === n.icc &&
    Boolean(d.ipv6 || d.subnet6 || d.subnet?.includes(":")) === Boolean(n.subnet6) &&
    [...(d.routesTo ?? [])].sort().join() === [...n.routesTo].filter((r) => (d.routesTo ?? []).includes(r)).sort().join()
  );
}

const declaredText = (d: DeclaredWorkload) => JSON.stringify(d);

function runSpecOf(project: string, d: DeclaredWorkload): RunSpec {
  return { ...d, project, ...(d.networks ? { networks: d.networks } : {}) };
}

/** Everything that can be checked without touching anything, so a bad file applies nothing. */
async function validate(ctx: EngineContext, file: ProjectFile): Promise<void> {
  const declaredNets = new Set(file.networks.map((n) => n.name));
  for (const d of file.networks) {
    const existing = ctx.store.network(d.name);
    if (existing && existing.labels[PROJECT_LABEL] !== file.project) {
      if (!networkMatches(existing, d)) throw new EngineError("NAME_IN_USE", `network ${d.name} exists outside project ${file.project} with other settings`);
    }
    if (!existing) {
      // planNetwork validates CIDRs, gateway and overlaps against the host, without creating anything.
      await planNetwork(ctx, { ...d, routesTo: (d.routesTo ?? []).filter((r) => !declaredNets.has(r)) });
    }
  }
  for (const d of file.workloads) {
    const existing = ctx.store.workload(d.name);
    if (existing && existing.project !== file.project) throw new EngineError("NAME_IN_USE", `workload ${d.name} exists outside project ${file.project}`);
    normalizePorts(runSpecOf(file.project, d));
    normalizeRoutes(d.routes);
    normalizeRestart(d.restart);
    for (const a of normalizeAttachSpecs(runSpecOf(file.project, d))) {
      if (!declaredNets.has(a.network) && !ctx.store.network(a.network) && a.network !== "bridge") {
        throw new EngineError("NETWORK_NOT_FOUND", `workloads.${d.name}: network ${a.network} is neither declared nor existing`);
      }
    }
  }
}

export async function projectUp(ctx: EngineContext, file: ProjectFile): Promise<ConvergeReport> {
  await validate(ctx, file);
  const report: ConvergeReport = { created: [], recreated: [], unchanged: [], removed: [] };
  const undo: (() => Promise<void>)[] = [];
  try {
    // Workloads that changed or left the file go first: they may hold networks or ports.
    const wanted = new Map(file.workloads.map((d) => [d.name, d]));
    for (const w of ctx.store.workloads().filter((x) => x.project === file.project)) {
      const d = wanted.get(w.name);
      if (!d || w.declared !== declaredText(d)) {
        await removeWorkload(ctx, w.name, { graceMs: 2000 });
        if (!d) report.removed.push(`workload ${w.name}`);
      }
    }
    const wantedNets = new Map(file.networks.map((d) => [d.name, d]));
    for (const n of ctx.store.networks().filter((x) => x.labels[PROJECT_LABEL] === file.project)) {
      const d = wantedNets.get(n.name);
      if (!d || !networkMatches(n, d)) {
        await removeNetwork(ctx, n.name);
        if (!d) report.removed.push(`network ${n.name}`);
        else report.recreated.push(`network ${n.name}`);
      }
    }
    for (const d of file.networks) {
      if (ctx.store.network(d.name)) {
        report.unchanged.push(`network ${d.name}`);
        continue;
      }
      const routesTo = (d.routesTo ?? []).filter((r) => ctx.store.network(r));
      await createNetwork(ctx, { ...d, routesTo, labels: { ...(d.labels ?? {}), [PROJECT_LABEL]: file.project } });
      undo.push(() => removeNetwork(ctx, d.name, { missingOk: true }));
      report.created.push(`network ${d.name}`);
    }
    for (const d of file.workloads) {
      if (ctx.store.workload(d.name)) {
        report.unchanged.push(`workload ${d.name}`);
        continue;
      }
      const w = await runWorkload(ctx, runSpecOf(file.project, d));
      ctx.store.putWorkload({ ...ctx.store.workload(w.name)!, declared: declaredText(d) });
      undo.push(() => removeWorkload(ctx, d.name, { missingOk: true, graceMs: 1000 }));
      report.created.push(`workload ${d.name}`);
    }
    await convergeRules(ctx, file.project, file.userRules);
    return report;
  } catch (e) {
    // Take back what this run created, newest first; what it removed stays removed (it was meant to go).
    for (const op of undo.reverse()) await op().catch(() => undefined);
    throw e;
  }
}

async function convergeRules(ctx: EngineContext, project: string, rules: string[]): Promise<void> {
  const mine = ctx.store.userRules().filter((r) => r.owner === project);
  if (mine.map((r) => r.rule).join("\n") === rules.join("\n")) return;
  const state = ctx.store.state();
  const others = state.userRules.filter((r) => r.owner !== project);
  const candidate = { ...state, userRules: [...others, ...rules.map((rule, i) => ({ id: -1 - i, rule }))] };
  try {
    await ctx.nft.check(candidate);
  } catch (e) {
    throw new EngineError("INVALID_YAML", `firewall.user: nft rejects a rule: ${(e as Error).message.split("\n").slice(-3).join(" ")}`);
  }
  ctx.store.transaction(() => {
    for (const r of mine) ctx.store.deleteUserRule(r.id);
    for (const rule of rules) ctx.store.addUserRule(rule, undefined, project);
  });
  await ctx.nft.sync(ctx.store.state());
}

export async function projectDown(ctx: EngineContext, project: string): Promise<ConvergeReport> {
  const report: ConvergeReport = { created: [], recreated: [], unchanged: [], removed: [] };
  for (const w of ctx.store.workloads().filter((x) => x.project === project)) {
    await removeWorkload(ctx, w.name, { missingOk: true, graceMs: 2000 });
    report.removed.push(`workload ${w.name}`);
  }
  for (const n of ctx.store.networks().filter((x) => x.labels[PROJECT_LABEL] === project)) {
    await removeNetwork(ctx, n.name, { missingOk: true });
    report.removed.push(`network ${n.name}`);
  }
  await convergeRules(ctx, project, []);
  return report;
}
