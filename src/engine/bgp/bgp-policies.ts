// Use cases on CiliumBGPPeeringPolicies: apply (create or replace), remove. Stored only: the engine
// brings the speaker to the new plan after the change (Engine.syncBgp).
import { EngineError } from "../../errors";
import type { BgpPolicy } from "../../model/lb/bgp-policy";
import type { EngineContext } from "../context";

export interface BgpPolicyReport {
  created: string[];
  configured: string[];
  removed: string[];
}

/** With `project`: that project's policies become exactly `policies` (ponton up / down). */
export function applyBgpPolicies(ctx: EngineContext, policies: BgpPolicy[], opts: { project?: string; remove?: string[]; missingOk?: boolean } = {}): BgpPolicyReport {
  const stored = new Map(ctx.store.bgpPolicies().map((p) => [p.name, p]));
  const remove = new Set(opts.remove ?? []);
  if (opts.project) for (const p of stored.values()) if (p.project === opts.project && !policies.some((x) => x.name === p.name)) remove.add(p.name);
  for (const n of remove) if (!stored.has(n) && !opts.missingOk) throw new EngineError("NOT_FOUND", `BGP policy ${n} not found`, { hint: "list them with 'ponton bgp ls'" });
  const gone = [...remove].filter((n) => stored.has(n));
  ctx.store.transaction(() => {
    gone.forEach((n) => ctx.store.deleteBgpPolicy(n));
    policies.forEach((p) => ctx.store.putBgpPolicy({ ...p, ...(opts.project ? { project: opts.project } : {}) }));
  });
  return { created: policies.filter((p) => !stored.has(p.name)).map((p) => p.name), configured: policies.filter((p) => stored.has(p.name)).map((p) => p.name), removed: gone };
}
