// Use cases on CiliumL2AnnouncementPolicies: apply (create or replace), remove. Stored only: the
// engine brings the ARP/NDP responder to the new plan after the change (Engine.syncL2).
import { EngineError } from "../../errors";
import type { L2Policy } from "../../model/lb/l2-policy";
import type { EngineContext } from "../context";

export interface L2PolicyReport {
  created: string[];
  configured: string[];
  removed: string[];
}

/** With `project`: that project's policies become exactly `policies` (ponton up / down). */
export function applyL2Policies(ctx: EngineContext, policies: L2Policy[], opts: { project?: string; remove?: string[]; missingOk?: boolean } = {}): L2PolicyReport {
  const stored = new Map(ctx.store.l2Policies().map((p) => [p.name, p]));
  const remove = new Set(opts.remove ?? []);
  if (opts.project) for (const p of stored.values()) if (p.project === opts.project && !policies.some((x) => x.name === p.name)) remove.add(p.name);
  for (const n of remove) if (!stored.has(n) && !opts.missingOk) throw new EngineError("NOT_FOUND", `L2 policy ${n} not found`, { hint: "list them with 'ponton l2-policy ls'" });
  const gone = [...remove].filter((n) => stored.has(n));
  ctx.store.transaction(() => {
    gone.forEach((n) => ctx.store.deleteL2Policy(n));
    policies.forEach((p) => ctx.store.putL2Policy({ ...p, ...(opts.project ? { project: opts.project } : {}) }));
  });
  return { created: policies.filter((p) => !stored.has(p.name)).map((p) => p.name), configured: policies.filter((p) => stored.has(p.name)).map((p) => p.name), removed: gone };
}
