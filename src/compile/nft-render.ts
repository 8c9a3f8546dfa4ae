// NftPlan -> `nft -f` text: a full atomic replace of our table, or an incremental element diff.
import { NFT_TABLE_REF } from "./names";
import { elementOps, renderOps, type NftOp } from "./nft-ops";
import { FLOW_RECORD_CHAIN, SET_DECLS, SKELETON_CHAINS, USER_CHAIN, type NftChain, type NftPlan, type NftSet, type ServiceFragment } from "./nft-plan";
import type { NftNamedSet } from "./services/compile";
import { EMPTY_POLICY_PLAN, renderPolicyDecls, samePolicySkeleton } from "./policy/fragment";
import type { PolicyPlan } from "../policy";

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
  for (const f of plan.services) for (const [set, e] of f.elements) extra.set(set, [...(extra.get(set) ?? []), e]);
  return plan.sets.map((s) => (extra.has(s.name) ? { ...s, elements: [...s.elements, ...extra.get(s.name)!].sort() } : s));
}

/** One transaction that (re)creates the whole table: `add` + `delete` makes it work whether or not it exists. */
export function renderFull(plan: NftPlan): string {
  return [
    `add table ${NFT_TABLE_REF}`,
    `delete table ${NFT_TABLE_REF}`,
    `table ${NFT_TABLE_REF} {`,
    ...withServiceElements(plan).map(renderSetDecl),
    renderChain({ name: USER_CHAIN, rules: plan.userRules }),
    renderChain({ name: FLOW_RECORD_CHAIN, rules: plan.flowRecord }),
    ...(plan.services ?? []).flatMap((f) => f.sets ?? []).map((x) => `  set ${x.name} { ${x.decl} }`),
    ...(plan.services ?? []).flatMap((f) => f.chains).map(renderChain),
    renderPolicyDecls(plan.policy),
    SKELETON_CHAINS,
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
  const oldChains: NftChain[] = [];
  const newChains: NftChain[] = [];
  const oldSets: NftNamedSet[] = [];
  const newSets: NftNamedSet[] = [];
  const del = new Map<string, string[]>();
  const add = new Map<string, string[]>();
  const push = (m: Map<string, string[]>, set: string, e: string) => m.set(set, [...(m.get(set) ?? []), e]);
  const delta = (a: [string, string][], b: [string, string][]) => {
    const before = new Set(a.map(([s, e]) => `${s}\t${e}`));
    const after = new Set(b.map(([s, e]) => `${s}\t${e}`));
    for (const [s, e] of a) if (!after.has(`${s}\t${e}`)) push(del, s, e);
    for (const [s, e] of b) if (!before.has(`${s}\t${e}`)) push(add, s, e);
  };
  const change = (old: ServiceFragment | undefined, next: ServiceFragment | undefined) => {
    oldSets.push(...(old?.sets ?? []));
    newSets.push(...(next?.sets ?? []));
    oldChains.push(...(old?.chains ?? []));
    newChains.push(...(next?.chains ?? []));
    delta(old?.elements ?? [], next?.elements ?? []);
  };
  // Both lists are sorted by service name and mostly identical: a merge walk, skipping by identity.
  let i = 0;
  let j = 0;
  while (i < from.length || j < to.length) {
    const a = from[i];
    const b = to[j];
    if (a && b && a === b) {
      i++;
      j++;
    } else if (a && b && a.name === b.name) {
      if (a.id === b.id) change(a, b);
      else (change(a, undefined), change(undefined, b));
      i++;
      j++;
    } else if (a && (!b || a.name < b.name)) {
      change(a, undefined);
      i++;
    } else {
      change(undefined, b);
      j++;
    }
  }
  // Affinity sets: created before the chains that use them, deleted after; kept ones keep their clients.
  const chains = chainDiff(oldChains, newChains);
  const had = new Set(oldSets.map((x) => x.name));
  const has = new Set(newSets.map((x) => x.name));
  chains.before.unshift(...newSets.filter((x) => !had.has(x.name)).map((x): NftOp => ({ op: "addSet", name: x.name, decl: x.decl })));
  chains.after.push(...oldSets.filter((x) => !has.has(x.name)).map((x): NftOp => ({ op: "deleteSet", name: x.name })));
  return { chains, del, add };
}

function sameSkeleton(a: NftPlan, b: NftPlan): boolean {
  if (!samePolicySkeleton(a.policy, b.policy)) return false;
  return a.sets.length === b.sets.length && a.sets.every((s, i) => s.name === b.sets[i]!.name && s.type === b.sets[i]!.type);
}

/**
 * The smallest transaction turning `from` into `to`, or undefined when only a full reload can
 * (skeleton changed). Empty when nothing changed.
 */
export function diffOps(from: NftPlan, to: NftPlan): NftOp[] | undefined {
  if (!sameSkeleton(from, to)) return undefined;
  const svc = serviceDiff(from.services ?? [], to.services ?? []);
  const ops: NftOp[] = [...svc.chains.before];
  to.sets.forEach((next, i) => {
    const prev = from.sets[i]!;
    const before = new Set(prev.elements);
    const after = new Set(next.elements);
    const removed = [...prev.elements.filter((e) => !after.has(e)), ...(svc.del.get(next.name) ?? [])];
    const added = [...next.elements.filter((e) => !before.has(e)), ...(svc.add.get(next.name) ?? [])];
    ops.push(...elementOps(next, removed, added));
  });
  ops.push(...refill(USER_CHAIN, from.userRules, to.userRules), ...refill(FLOW_RECORD_CHAIN, from.flowRecord, to.flowRecord));
  ops.push(...policyDiff(from.policy, to.policy));
  ops.push(...svc.chains.after);
  return ops;
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
    if (next.flags?.includes("dynamic")) return;
    const before = new Set(prev.elements);
    const after = new Set(next.elements);
    ops.push(...elementOps(next, prev.elements.filter((e) => !after.has(e)), next.elements.filter((e) => !before.has(e))));
  });
  ops.push(...chains.after);
  return ops;
}

export const EMPTY_PLAN: NftPlan = { sets: SET_DECLS.map((d) => ({ ...d, elements: [] })), userRules: [], policy: EMPTY_POLICY_PLAN, flowRecord: [] };
