// Which services an observed-runtime change touches: a service's fragment reads only its own
// endpoints' health and its own connection counts, so a new runtime recompiles those services alone.
import type { ServiceRuntime } from "../../model/services/service";

/** Ids of services whose health entries ("serviceId/workloadId") or connection counts differ. */
export function runtimeChanges(before: ServiceRuntime, after: ServiceRuntime): Set<string> {
  const ids = new Set<string>();
  if (before === after) return ids;
  const serviceOf = (entry: string) => entry.slice(0, entry.indexOf("/"));
  for (const e of before.unhealthy) if (!after.unhealthy.has(e)) ids.add(serviceOf(e));
  for (const e of after.unhealthy) if (!before.unhealthy.has(e)) ids.add(serviceOf(e));
  for (const [id, counts] of before.connections) if (!sameCounts(counts, after.connections.get(id))) ids.add(id);
  for (const [id, counts] of after.connections) if (!sameCounts(counts, before.connections.get(id))) ids.add(id);
  return ids;
}

/** Same entries in the same order (the compile's memo key is order-sensitive, so this is too). */
function sameCounts(a: ReadonlyMap<string, number> | undefined, b: ReadonlyMap<string, number> | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.size !== b.size) return false;
  const bs = b.entries();
  for (const [ip, n] of a) {
    const next = bs.next().value as [string, number];
    if (next[0] !== ip || next[1] !== n) return false;
  }
  return true;
}
