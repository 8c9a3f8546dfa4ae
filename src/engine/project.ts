// `ponton up` / `ponton down`: converge the objects a project file declares.
import { EngineError } from "../errors";
import { canonicalIp, parseCidr } from "../model/ip";
import type { DeclaredNetwork, DeclaredWorkload, ProjectFile } from "../model/project/project-file";
import type { Network } from "../model/types";
import { hostAccessOf } from "../compile";
import type { EngineContext } from "./context";
import { createNetwork, planNetwork, removeNetwork } from "./networks/networks";
import { setNetworkDns } from "./dns/network-dns";
import { removeWorkload, runWorkload } from "./workloads/workloads";
import { applyServices, removeService } from "./services/services";
import { putPolicies } from "./policy/policies";
import { applyLbPools } from "./services/lb-pools";
import { applyBgpPolicies } from "./bgp/bgp-policies";
import { applyL2Policies } from "./l2/l2-policies";
import { policyKey } from "../policy";
import { serviceNamespace, serviceRef } from "../model/services/service";
import { validateNamespace } from "../model/namespaces";
import { declareNamespaces } from "./policy/project-namespaces";
import { normalizePorts, normalizeRoutes, normalizeRestart, normalizeAttachSpecs, type RunSpec } from "../model/workloads/workload-spec";
import { downTemplates, isTemplated, takeDownTemplates, upTemplates, validateProjectTemplates } from "./workloads/project-templates";

export const PROJECT_LABEL = "ponton.project";

export interface ConvergeReport {
  created: string[];
  recreated: string[];
  unchanged: string[];
  /** Changed in place (a network's DNS servers). */
  updated: string[];
  removed: string[];
}

function networkMatches(n: Network, d: DeclaredNetwork): boolean {
  const same = (a: unknown, b: unknown) => a === undefined || a === b;
  return (
    same(d.subnet && !d.subnet.includes(":") ? d.subnet : undefined, n.subnet4) &&
    same(d.gateway, d.subnet?.includes(":") ? n.gateway6 : n.gateway4) &&
    (d.internal ?? false) === n.internal &&
    (d.hostAccess ?? !(d.internal ?? false)) === hostAccessOf(n) &&
    (d.icc ?? true) === n.icc &&
    Boolean(d.ipv6 || d.subnet6 || d.subnet?.includes(":")) === Boolean(n.subnet6) &&
    [...(d.routesTo ?? [])].sort().join() === [...n.routesTo].filter((r) => (d.routesTo ?? []).includes(r)).sort().join() &&
    (d.driver ?? "bridge") === n.driver &&
    same(d.parent, n.parent) &&
    same(d.mode, n.mode) &&
    same(d.mtu, n.mtu) &&
    (d.gatewayMode ?? "nat") === (n.gatewayMode ?? "nat") &&
    d.defaultRouteMetric === n.defaultRouteMetric &&
    (d.defaultRoute ?? true) === (n.defaultRoute ?? true)
  );
}

const declaredText = (d: DeclaredWorkload) => JSON.stringify(d);

function runSpecOf(project: string, d: DeclaredWorkload): RunSpec {
  return { ...d, project, ...(d.networks ? { networks: d.networks } : {}) };
}

/** The project's networks that changed or left the file. */
function networksToTakeDown(ctx: EngineContext, file: ProjectFile): Network[] {
  const wanted = new Map(file.networks.map((d) => [d.name, d]));
  return ctx.store.networks().filter((n) => n.labels[PROJECT_LABEL] === file.project && !(wanted.has(n.name) && networkMatches(n, wanted.get(n.name)!)));
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
    if (existing && existing.labels[PROJECT_LABEL] === file.project && !networkMatches(existing, d)) {
      // It will be recreated: its new settings must parse before anything is taken down.
      for (const c of [d.subnet, d.subnet6]) if (c !== undefined) parseCidr(c);
      for (const g of [d.gateway, d.gateway6]) if (g !== undefined) canonicalIp(g);
    }
  }
  // Networks this run takes down (changed or left the file) must hold only this project's workloads.
  for (const n of networksToTakeDown(ctx, file)) {
    for (const a of ctx.store.attachmentsOn(n.id)) {
      const w = ctx.store.workloads().find((x) => x.id === a.workloadId);
      if (w && w.project !== file.project) throw new EngineError("NETWORK_IN_USE", `network ${n.name} must be recreated but workload ${w.name} (not in project ${file.project}) is attached`);
      const still = file.workloads.find((x) => x.name === w?.name);
      if (still && !declaredNets.has(n.name) && normalizeAttachSpecs(runSpecOf(file.project, still)).some((s) => s.network === n.name)) {
        throw new EngineError("INVALID_YAML", `workloads.${still.name}: network ${n.name} is no longer declared`);
      }
    }
  }
  if (file.userRules.length) await checkRules(ctx, file.project, file.userRules);
  validateProjectTemplates(ctx, file);
  for (const d of file.workloads) {
    const existing = ctx.store.workload(d.name);
    if (existing && existing.project !== file.project) throw new EngineError("NAME_IN_USE", `workload ${d.name} exists outside project ${file.project}`);
    normalizePorts(runSpecOf(file.project, d), ctx.config.maxPortRange);
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
  const report: ConvergeReport = { created: [], recreated: [], unchanged: [], updated: [], removed: [] };
  const undo: (() => Promise<void>)[] = [];
  try {
    // Workloads that changed or left the file go first: they may hold networks or ports.
    const wanted = new Map(file.workloads.filter((d) => !isTemplated(d)).map((d) => [d.name, d]));
    // Objects taken down here because they changed: created again below, and reported as recreated.
    const changed = new Set<string>();
    // A workload on a network that is taken down goes down with it (and comes back if still declared).
    const goingNets = new Set(networksToTakeDown(ctx, file).map((n) => n.id));
    // Replicas follow their template (takeDownTemplates, upTemplates).
    for (const w of ctx.store.workloads().filter((x) => x.project === file.project && !x.replicaOf)) {
      const d = wanted.get(w.name);
      const onGoingNet = ctx.store.attachmentsOf(w.id).some((a) => goingNets.has(a.networkId));
      if (!d || w.declared !== declaredText(d) || onGoingNet) {
        await removeWorkload(ctx, w.name, { graceMs: 2000 });
        if (!d) report.removed.push(`workload ${w.name}`);
        else changed.add(`workload ${w.name}`);
      }
    }
    await takeDownTemplates(ctx, file, goingNets, report, changed);
    const wantedNets = new Map(file.networks.map((d) => [d.name, d]));
    for (const n of ctx.store.networks().filter((x) => x.labels[PROJECT_LABEL] === file.project)) {
      const d = wantedNets.get(n.name);
      if (!d || !networkMatches(n, d)) {
        await removeNetwork(ctx, n.name);
        if (!d) report.removed.push(`network ${n.name}`);
        else changed.add(`network ${n.name}`);
      }
    }
    for (const d of file.networks) {
      const existing = ctx.store.network(d.name);
      if (existing) {
        // DNS servers change live (`network update --dns`): no reason to recreate the network.
        // (Only the project's own: a network made outside it is used as it is.)
        if (existing.labels[PROJECT_LABEL] === file.project && (existing.dns ?? []).join() !== (d.dns ?? []).join()) {
          setNetworkDns(ctx, d.name, d.dns ?? []);
          report.updated.push(`network ${d.name}`);
        } else report.unchanged.push(`network ${d.name}`);
        continue;
      }
      const routesTo = (d.routesTo ?? []).filter((r) => ctx.store.network(r));
      await createNetwork(ctx, { ...d, routesTo, labels: { ...(d.labels ?? {}), [PROJECT_LABEL]: file.project } });
      undo.push(() => removeNetwork(ctx, d.name, { missingOk: true }));
      (changed.has(`network ${d.name}`) ? report.recreated : report.created).push(`network ${d.name}`);
    }
    // Namespaces and policies before new workloads: a workload starts already policed.
    await declareNamespaces(ctx, file.namespaces ?? [], undo);
    await convergePolicies(ctx, file, report);
    for (const d of wanted.values()) {
      if (ctx.store.workload(d.name)) {
        report.unchanged.push(`workload ${d.name}`);
        continue;
      }
      const w = await runWorkload(ctx, runSpecOf(file.project, d));
      ctx.store.putWorkload({ ...ctx.store.workload(w.name)!, declared: declaredText(d) });
      undo.push(() => removeWorkload(ctx, d.name, { missingOk: true, graceMs: 1000 }));
      (changed.has(`workload ${d.name}`) ? report.recreated : report.created).push(`workload ${d.name}`);
    }
    await upTemplates(ctx, file, report, changed, undo);
    await convergeRules(ctx, file.project, file.userRules);
    // Pools before services: a new LoadBalancer service gets its address at once.
    await convergeLbPools(ctx, file, report);
    await convergeServices(ctx, file, report);
    convergeBgpPolicies(ctx, file, report);
    convergeL2Policies(ctx, file, report);
    return report;
  } catch (e) {
    // Take back what this run created, newest first; what it removed stays removed (it was meant to go).
    for (const op of undo.reverse()) await op().catch(() => undefined);
    throw e;
  }
}

/** nft -c of the user chain as the file wants it; run by validate, before anything changes. */
async function checkRules(ctx: EngineContext, project: string, rules: string[]): Promise<void> {
  const state = ctx.store.state();
  const others = state.userRules.filter((r) => r.owner !== project);
  const candidate = { ...state, userRules: [...others, ...rules.map((rule, i) => ({ id: -1 - i, rule }))] };
  try {
    await ctx.nft.check(candidate);
  } catch (e) {
    throw new EngineError("INVALID_YAML", `firewall.user: nft rejects a rule: ${(e as Error).message.split("\n").slice(-3).join(" ")}`);
  }
}

async function convergeRules(ctx: EngineContext, project: string, rules: string[]): Promise<void> {
  const mine = ctx.store.userRules().filter((r) => r.owner === project);
  if (mine.map((r) => r.rule).join("\n") === rules.join("\n")) return;
  await checkRules(ctx, project, rules);
  ctx.store.transaction(() => {
    for (const r of mine) ctx.store.deleteUserRule(r.id);
    for (const rule of rules) ctx.store.addUserRule(rule, undefined, project);
  });
  await ctx.nft.sync(ctx.store.state());
}

export async function projectDown(ctx: EngineContext, project: string): Promise<ConvergeReport> {
  const report: ConvergeReport = { created: [], recreated: [], unchanged: [], updated: [], removed: [] };
  await downTemplates(ctx, project, report);
  for (const w of ctx.store.workloads().filter((x) => x.project === project)) {
    await removeWorkload(ctx, w.name, { missingOk: true, graceMs: 2000 });
    report.removed.push(`workload ${w.name}`);
  }
  for (const n of ctx.store.networks().filter((x) => x.labels[PROJECT_LABEL] === project)) {
    await removeNetwork(ctx, n.name, { missingOk: true });
    report.removed.push(`network ${n.name}`);
  }
  await convergeRules(ctx, project, []);
  await convergeServices(ctx, { project, networks: [], workloads: [], userRules: [] }, report);
  await convergeLbPools(ctx, { project, networks: [], workloads: [], userRules: [] }, report);
  convergeBgpPolicies(ctx, { project, networks: [], workloads: [], userRules: [] }, report);
  convergeL2Policies(ctx, { project, networks: [], workloads: [], userRules: [] }, report);
  await convergePolicies(ctx, { project, networks: [], workloads: [], userRules: [] }, report);
  return report;
}

/** The project's pools become exactly the declared ones (services re-evaluated in the same transaction). */
async function convergeLbPools(ctx: EngineContext, file: ProjectFile, report: ConvergeReport): Promise<void> {
  const mine = ctx.store.lbPools().filter((p) => p.project === file.project).map((p) => p.name);
  if (mine.length === 0 && !file.lbPools?.length) return;
  const r = await applyLbPools(ctx, file.lbPools ?? [], { project: file.project });
  report.removed.push(...r.removed.map((n) => `lb-pool ${n}`));
  report.created.push(...r.created.map((n) => `lb-pool ${n}`));
  for (const n of r.configured) (mine.includes(n) ? report.unchanged : report.recreated).push(`lb-pool ${n}`);
}

/** The project's BGP policies become exactly the declared ones (the speaker follows after the change). */
function convergeBgpPolicies(ctx: EngineContext, file: ProjectFile, report: ConvergeReport): void {
  const mine = ctx.store.bgpPolicies().filter((p) => p.project === file.project).map((p) => p.name);
  if (mine.length === 0 && !file.bgpPolicies?.length) return;
  const r = applyBgpPolicies(ctx, file.bgpPolicies ?? [], { project: file.project });
  report.removed.push(...r.removed.map((n) => `bgp policy ${n}`));
  report.created.push(...r.created.map((n) => `bgp policy ${n}`));
  for (const n of r.configured) (mine.includes(n) ? report.unchanged : report.recreated).push(`bgp policy ${n}`);
}

/** The project's L2 announcement policies become exactly the declared ones (the responder follows after the change). */
function convergeL2Policies(ctx: EngineContext, file: ProjectFile, report: ConvergeReport): void {
  const mine = ctx.store.l2Policies().filter((p) => p.project === file.project).map((p) => p.name);
  if (mine.length === 0 && !file.l2Policies?.length) return;
  const r = applyL2Policies(ctx, file.l2Policies ?? [], { project: file.project });
  report.removed.push(...r.removed.map((n) => `l2-policy ${n}`));
  report.created.push(...r.created.map((n) => `l2-policy ${n}`));
  for (const n of r.configured) (mine.includes(n) ? report.unchanged : report.recreated).push(`l2-policy ${n}`);
}

/** The project's policies become exactly the declared ones, in one nft transaction. */
async function convergePolicies(ctx: EngineContext, file: ProjectFile, report: ConvergeReport): Promise<void> {
  const key = policyKey;
  const wanted = new Set((file.policies ?? []).map(key));
  const mine = ctx.store.policies().filter((r) => r.project === file.project).map((r) => key(r.policy));
  const gone = mine.filter((k) => !wanted.has(k));
  if (gone.length === 0 && (file.policies ?? []).length === 0) return;
  await putPolicies(ctx, file.policies ?? [], { project: file.project, remove: gone });
  report.removed.push(...gone.map((k) => `policy ${k}`));
  for (const k of wanted) (mine.includes(k) ? report.unchanged : report.created).push(`policy ${k}`);
}

/** Declared services are created or replaced (their VIP and NodePorts stay) in one transaction; undeclared ones of the project go. */
async function convergeServices(ctx: EngineContext, file: ProjectFile, report: ConvergeReport): Promise<void> {
  const refOf = (s: { name: string; namespace?: string | undefined }) => serviceRef({ name: s.name, namespace: validateNamespace(s.namespace) });
  const wanted = new Map((file.services ?? []).map((s) => [refOf(s), s]));
  for (const s of ctx.store.services().filter((x) => x.project === file.project && !wanted.has(serviceRef(x)))) {
    await removeService(ctx, s.name, true, serviceNamespace(s));
    report.removed.push(`service ${serviceRef(s)}`);
  }
  for (const spec of file.services ?? []) {
    const existing = ctx.store.service(spec.name, validateNamespace(spec.namespace));
    if (existing && existing.project !== file.project) throw new EngineError("NAME_IN_USE", `service ${refOf(spec)} exists outside project ${file.project}`);
  }
  if (!file.services?.length) return;
  const r = await applyServices(ctx, file.services.map((s) => ({ ...s, project: file.project })));
  report.created.push(...r.created.map((k) => `service ${k}`));
  report.unchanged.push(...r.replaced.map((k) => `service ${k}`));
}
