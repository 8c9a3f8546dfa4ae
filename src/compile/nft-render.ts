// NftPlan -> `nft -f` text: a full atomic replace of our table, or an incremental element diff.
import { keptDelta } from "./nft-delta/set-elements";
import { NFT_TABLE_REF } from "./names";
import { elementOps, renderOps, type NftOp } from "./nft-ops";
import { fragmentDelta } from "./services/fragment-delta";
import { FLOW_RECORD_CHAIN, FORWARD_OTHERS_CHAIN, skeletonChains, USER_CHAIN, type NftChain, type NftPlan, type NftSet, type ServiceFragment } from "./nft-plan";
import { renderPolicyDecls, samePolicySkeleton } from "./policy/fragment";
import { LOG_COUNTER_DECLS } from "./flow-log";
import type { PolicyPlan } from "../policy";
import { L7_EGRESS_TPROXY_CHAIN, L7_PACKET_HOOKS } from "./l7-chains";
import { offloadDeclared, offloadOps, renderOffloadChain, renderOffloadDecl } from "./flow-offload";
// In place: a copy per element was quadratic (30,000 service elements at 10,000 services).
import { pushTo } from "../policy/world";

function renderSetDecl(s: NftSet): string {
  const flags = s.flags?.length ? ` flags ${s.flags.join(", ")};` : "";
  const elements = s.elements.length ? ` elements = { ${s.elements.join(", ")} }` : "";
  return `  ${s.kind} ${s.name} { ${s.typeof ? "typeof" : "type"} ${s.type};${flags}${elements} }`;
}

function renderChain(c: NftChain): string {
  return [`  chain ${c.name} {`, ...c.rules.map((r) => `    ${r}`), "  }"].join("\n");
}

/** Set contents including the services' elements (kept per service in the plan, merged here). */
function withServiceElements(plan: NftPlan): NftSet[] {
  if (!plan.services?.length) return plan.sets;
  const extra = new Map<string, string[]>();
  for (const f of plan.services) for (const [set, e] of f.elements) pushTo(extra, set, e);
  return plan.sets.map((s) => (extra.has(s.name) ? { ...s, elements: [...s.elements, ...extra.get(s.name)!].sort() } : s));
}

/** One transaction that (re)creates the whole table: `add` + `delete` makes it work whether or not it exists. */
export function renderFull(plan: NftPlan): string {
  return [
    `add table ${NFT_TABLE_REF}`,
    `delete table ${NFT_TABLE_REF}`,
    `table ${NFT_TABLE_REF} {`,
    ...LOG_COUNTER_DECLS,
    ...withServiceElements(plan).map(renderSetDecl),
    ...renderOffloadDecl(plan.offload),
    renderChain({ name: USER_CHAIN, rules: plan.userRules }),
    renderChain({ name: FLOW_RECORD_CHAIN, rules: plan.flowRecord }),
    renderChain({ name: FORWARD_OTHERS_CHAIN, rules: plan.forwardOthers }),
    renderChain({ name: L7_EGRESS_TPROXY_CHAIN, rules: plan.egressTproxy }),
    ...(plan.services ?? []).flatMap((f) => f.sets ?? []).map((x) => `  set ${x.name} { ${x.decl} }`),
    ...(plan.services ?? []).flatMap((f) => f.chains).map(renderChain),
    renderPolicyDecls(plan.policy),
    skeletonChains(plan.recordInForward),
    ...(plan.l7InUse ? [L7_PACKET_HOOKS] : []),
    ...renderOffloadChain(plan.offload),
    "}",
    "",
  ].join("\n");
}

/**
 * Per-service chains: new ones are created before the elements that point at them, changed ones
 * are flushed and refilled (a few rules), removed ones are deleted after their elements.
 */
function chainDiff(from: NftChain[], to: NftChain[]): { before: NftOp[]; after: NftOp[] } {
  const prev = new Map(from.map((c) => [c.name, c]));
  const next = new Map(to.map((c) => [c.name, c]));
  const before: NftOp[] = [];
  const after: NftOp[] = [];
  // Every new chain exists before any rule is written: rules may `goto` one another.
  for (const c of to) if (!prev.has(c.name)) before.push({ op: "addChain", chain: c.name });
  for (const c of to) {
    const old = prev.get(c.name);
    if (old && old.rules.join("\n") === c.rules.join("\n")) continue;
    if (old) before.push({ op: "flushChain", chain: c.name });
    for (const rule of c.rules) before.push({ op: "addRule", chain: c.name, rule });
  }
  for (const c of from) if (!next.has(c.name)) after.push({ op: "deleteChain", chain: c.name });
  return { before, after };
}

/** Services whose fragment changed (by identity): their chains and element deltas, grouped by set. */
function serviceDiff(from: ServiceFragment[], to: ServiceFragment[]) {
  const { gone, added } = fragmentDelta(from, to);
  const oldChains = gone.flatMap((f) => f.chains);
  const newChains = added.flatMap((f) => f.chains);
  const oldSets = gone.flatMap((f) => f.sets ?? []);
  const newSets = added.flatMap((f) => f.sets ?? []);
  const del = new Map<string, string[]>();
  const add = new Map<string, string[]>();
  const before = gone.flatMap((f) => f.elements);
  const after = added.flatMap((f) => f.elements);
  const had = new Set(before.map(([s, e]) => `${s}\t${e}`));
  const has = new Set(after.map(([s, e]) => `${s}\t${e}`));
  for (const [s, e] of before) if (!has.has(`${s}\t${e}`)) pushTo(del, s, e);
  for (const [s, e] of after) if (!had.has(`${s}\t${e}`)) pushTo(add, s, e);
  // Affinity sets: created before the chains that use them, deleted after; kept ones keep their clients.
  const chains = chainDiff(oldChains, newChains);
  const hadSet = new Set(oldSets.map((x) => x.name));
  const hasSet = new Set(newSets.map((x) => x.name));
  chains.before.unshift(...newSets.filter((x) => !hadSet.has(x.name)).map((x): NftOp => ({ op: "addSet", name: x.name, decl: x.decl })));
  chains.after.push(...oldSets.filter((x) => !hasSet.has(x.name)).map((x): NftOp => ({ op: "deleteSet", name: x.name })));
  return { chains, del, add };
}

function sameSkeleton(a: NftPlan, b: NftPlan): boolean {
  if (!samePolicySkeleton(a.policy, b.policy)) return false;
  // Declaring or dropping the flowtable is a reload: dropping it returns its flows to the slow path.
  if (offloadDeclared(a.offload) !== offloadDeclared(b.offload)) return false;
  // The L7 chains every packet enters come and go with the first and last HTTP listener.
  if (a.l7InUse !== b.l7InUse) return false;
  if (a.recordInForward !== b.recordInForward) return false;
  return a.sets.length === b.sets.length && a.sets.every((s, i) => s.name === b.sets[i]!.name && s.type === b.sets[i]!.type);
}

/**
 * The smallest transaction turning `from` into `to`, or undefined when only a full reload can
 * (skeleton changed). Empty when nothing changed.
 */
export function diffOps(from: NftPlan, to: NftPlan): NftOp[] | undefined {
  if (!sameSkeleton(from, to)) return undefined;
  const svc = serviceDiff(from.services ?? [], to.services ?? []);
  const ops: NftOp[] = [...offloadOps(from.offload, to.offload), ...svc.chains.before];
  to.sets.forEach((next, i) => {
    const prev = from.sets[i]!;
    const d = keptDelta(prev.elements, next.elements) ?? setDifference(prev.elements, next.elements);
    ops.push(...elementOps(next, [...d.removed, ...(svc.del.get(next.name) ?? [])], [...d.added, ...(svc.add.get(next.name) ?? [])]));
  });
  ops.push(...refill(USER_CHAIN, from.userRules, to.userRules), ...refill(FLOW_RECORD_CHAIN, from.flowRecord, to.flowRecord));
  ops.push(...refill(FORWARD_OTHERS_CHAIN, from.forwardOthers, to.forwardOthers));
  ops.push(...refill(L7_EGRESS_TPROXY_CHAIN, from.egressTproxy, to.egressTproxy));
  ops.push(...policyDiff(from.policy, to.policy));
  ops.push(...svc.chains.after);
  return ops;
}

function setDifference(from: readonly string[], to: readonly string[]): { added: string[]; removed: string[] } {
  const before = new Set(from);
  const after = new Set(to);
  return { removed: from.filter((e) => !after.has(e)), added: to.filter((e) => !before.has(e)) };
}

/** `nft -f` text of diffOps: undefined when only a full reload can do it, "" when nothing changed. */
export function renderDiff(from: NftPlan, to: NftPlan): string | undefined {
  const ops = diffOps(from, to);
  return ops && renderOps(ops);
}

/** A chain whose rules are data (user hook, flow record): flushed and refilled when they changed. */
function refill(chain: string, from: string[], to: string[]): NftOp[] {
  if (from.join("\n") === to.join("\n")) return [];
  return [{ op: "flushChain", chain }, ...to.map((rule): NftOp => ({ op: "addRule", chain, rule }))];
}

/**
 * Policy maps change by elements (a label change is a few lines); its chains are fixed text, rewritten
 * only if the compiler's skeleton changed. Dynamic sets (recent drops) are the kernel's, never touched.
 */
function policyDiff(from: PolicyPlan, to: PolicyPlan): NftOp[] {
  if (from === to) return [];
  const chains = chainDiff(from.chains, to.chains);
  const ops: NftOp[] = [...chains.before];
  to.sets.forEach((next, i) => {
    const prev = from.sets[i]!;
    // Dynamic sets are the kernel's; an unchanged map keeps its elements array (policy/plan/cache.ts joined()).
    if (next.flags?.includes("dynamic") || next.elements === prev.elements) return;
    const before = new Set(prev.elements);
    const after = new Set(next.elements);
    ops.push(...elementOps(next, prev.elements.filter((e) => !after.has(e)), next.elements.filter((e) => !before.has(e))));
  });
  ops.push(...chains.after);
  return ops;
}

