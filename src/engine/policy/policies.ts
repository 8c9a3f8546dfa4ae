// Use cases on policies (NetworkPolicy and Cilium kinds): apply (one or many, one nft transaction), list, remove, explain.
import { EngineError } from "../../errors";
import { policyWorld, statePolicies } from "../../compile";
import { describeDecision, explain, parsePolicies, policyKey as keyOf, ruleDecisionId, denyDecisionId, type NetworkPolicy, type Protocol } from "../../policy";
import type { DesiredState, PolicyRecord } from "../../model/types";
import { DEFAULT_NAMESPACE } from "../../model/types";
import type { EngineContext } from "../context";
import { now } from "../ids";
import { syncedPut } from "./namespaces";
import { refuseEgressHttpWithoutTproxy } from "../l7/tproxy-support";

/** Validate against the whole state (a compile that throws applies nothing); in the store's order, as the state after the write. */
function candidate(state: DesiredState, records: PolicyRecord[], removed: Set<string>): DesiredState {
  const next = new Map((state.policies ?? []).filter((r) => !removed.has(keyOf(r.policy))).map((r) => [keyOf(r.policy), r]));
  for (const r of records) next.set(keyOf(r.policy), r);
  return { ...state, policies: [...next.values()].sort((a, b) => (keyOf(a.policy) < keyOf(b.policy) ? -1 : keyOf(a.policy) > keyOf(b.policy) ? 1 : 0)) };
}

/**
 * Store policies (replacing same-named ones) and remove `remove`, all in one nft transaction.
 * A policy owned by another project (or by none, when a project applies) is not taken over.
 */
export async function putPolicies(ctx: EngineContext, policies: NetworkPolicy[], opts: { project?: string; remove?: string[] } = {}): Promise<string[]> {
  const seen = new Set<string>();
  for (const p of policies) {
    if (seen.has(keyOf(p))) throw new EngineError("POLICY_INVALID", `policy ${keyOf(p)} is given twice`);
    seen.add(keyOf(p));
  }
  const before = ctx.store.policies();
  const existing = new Map(before.map((r) => [keyOf(r.policy), r]));
  for (const p of policies) {
    const old = existing.get(keyOf(p));
    if (old && opts.project !== undefined && old.project !== opts.project) {
      throw new EngineError("NAME_IN_USE", `policy ${keyOf(p)} exists outside project ${opts.project}`);
    }
  }
  const records: PolicyRecord[] = policies.map((policy) => ({ policy, createdAt: existing.get(keyOf(policy))?.createdAt ?? now(), ...(opts.project ? { project: opts.project } : {}), ...(ctx.cluster ? { cluster: true as const } : {}) }));
  const removed = new Set(opts.remove ?? []);
  // The plan the sync below commits: compiled once, before anything is stored or published.
  const plan = await ctx.nft.planFor(candidate(ctx.store.state(), records, removed));
  refuseEgressHttpWithoutTproxy(ctx, plan, `policy apply ${records.map((r) => keyOf(r.policy)).join(", ")}`);
  // Cluster mode: the cluster store first; refused there, nothing changed here.
  const unpublish = await ctx.cluster?.policies(records, [...removed]);
  await syncedPut(
    ctx,
    () => {
      for (const k of removed) ctx.store.deletePolicy(k);
      for (const r of records) ctx.store.putPolicy(r);
    },
    () => {
      for (const r of ctx.store.policies()) ctx.store.deletePolicy(keyOf(r.policy));
      for (const r of before) ctx.store.putPolicy(r);
    },
    plan,
  ).catch(async (e: unknown) => {
    await unpublish?.().catch(() => undefined);
    throw e;
  });
  return records.map((r) => keyOf(r.policy));
}

export function applyPolicyText(ctx: EngineContext, text: string): Promise<string[]> {
  return putPolicies(ctx, parsePolicies(text));
}

/**
 * "name" means default/name. Cilium policies: "cnp:name" or "ns/cnp:name" (the CLI's form) mean
 * cnp:ns/name; "ccnp:name", "anp:name" and "banp:name" (with any namespace in front) are the
 * cluster-scoped CiliumClusterwideNetworkPolicy, AdminNetworkPolicy and BaselineAdminNetworkPolicy.
 */
export function policyKey(ref: string): string {
  const m = /^(?:([^/]*)\/)?(cnp|ccnp|anp|banp):([^/]+)$/.exec(ref);
  if (m) return m[2] === "cnp" ? `cnp:${m[1] || DEFAULT_NAMESPACE}/${m[3]}` : `${m[2]}:${m[3]}`;
  return ref.includes("/") ? ref : `${DEFAULT_NAMESPACE}/${ref}`;
}

export async function removePolicy(ctx: EngineContext, ref: string, missingOk = false): Promise<void> {
  const key = policyKey(ref);
  if (!ctx.store.policies().some((r) => keyOf(r.policy) === key)) {
    if (missingOk) return;
    throw new EngineError("NOT_FOUND", `policy ${key} not found`, { hint: "list policies with 'ponton policy ls'" });
  }
  await putPolicies(ctx, [], { remove: [key] });
}

export function policyViews(ctx: EngineContext) {
  return ctx.store.policies().map((r) => ({
    kind: r.policy.kind ?? "NetworkPolicy",
    name: r.policy.name,
    namespace: r.policy.namespace,
    podSelector: r.policy.podSelector,
    policyTypes: r.policy.policyTypes,
    ingressRules: r.policy.admin?.ingress.length ?? r.policy.ingress.length,
    egressRules: r.policy.admin?.egress.length ?? r.policy.egress.length,
    // The tier it is evaluated in: admin (by priority) → networkPolicy → baseline.
    tier: r.policy.admin?.tier ?? "networkPolicy",
    ...(r.policy.admin?.tier === "admin" ? { priority: r.policy.admin.priority } : {}),
    ...(r.project ? { project: r.project } : {}),
    createdAt: r.createdAt,
    policy: r.policy,
  }));
}

/** A bare workload name is looked up in the store; "ns/name" and IP addresses pass through. */
function endpointRef(ctx: EngineContext, ref: string): string {
  if (ref.includes("/") || ref.includes(":") || /^\d+\.\d+\.\d+\.\d+$/.test(ref)) return ref;
  const w = ctx.store.workload(ref);
  if (!w) throw new EngineError("WORKLOAD_NOT_FOUND", `workload ${ref} not found`);
  return `${w.namespace ?? DEFAULT_NAMESPACE}/${w.name}`;
}

/** `port`: "80/tcp", "81/udp", "80" (TCP). */
export function explainPolicy(ctx: EngineContext, q: { from: string; to: string; port: string }) {
  const [portText, protoText] = String(q.port ?? "").split("/");
  const port = Number(portText);
  const protocol = (protoText ?? "tcp").toUpperCase() as Protocol;
  if (!Number.isInteger(port) || port < 1 || port > 65535 || !["TCP", "UDP", "SCTP"].includes(protocol)) {
    throw new EngineError("INVALID_ARGUMENT", `invalid port '${q.port}'`, { hint: "write PORT[/tcp|udp|sctp], e.g. 80/tcp" });
  }
  const state = ctx.store.state();
  const result = explain(policyWorld(state), statePolicies(state), { from: endpointRef(ctx, q.from), to: endpointRef(ctx, q.to), port, protocol });
  // The ids the kernel carries for this decision, so a probe's mark or a drop record can be matched.
  const plan = ctx.nft.current?.policy;
  const idOf = (dir: "ingress" | "egress") => {
    const d = result[dir];
    if (!plan) return undefined;
    if (d.decidedBy) return ruleDecisionId(plan, d.decidedBy);
    if (d.tier !== "networkPolicy") return undefined;
    if (d.deniedBy) return ruleDecisionId(plan, d.deniedBy[0]!);
    return d.allowed ? ruleDecisionId(plan, d.allowedBy[0]!) : denyDecisionId(plan, dir, d.isolatedBy);
  };
  const ids = { egress: idOf("egress"), ingress: idOf("ingress") };
  return { ...result, ids, decisions: Object.fromEntries(Object.entries(ids).filter(([, v]) => v !== undefined).map(([k, v]) => [k, plan && describeDecision(plan, v!)])) };
}
