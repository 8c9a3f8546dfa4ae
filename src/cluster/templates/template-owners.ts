// Pure: templates across a cluster. A template's record in etcd names its owner, the one node that
// runs its replicas; a change of it on any node is sent to the owner. These decide where each part
// of a request goes and what `template ls` shows from the records and the owners' answers.
import { EngineError } from "../../errors";
import type { Template } from "../../model/workloads/template";
import { normalizeAttachSpecs } from "../../model/workloads/workload-spec";
import type { NodeView } from "../node-view";

/** A template as etcd holds it: the owner's record, with the owner's name. */
export type TemplateRecord = Template & { owner: string };

/** The owner that must take a change of a template: known and Ready, or the error (nothing is sent). */
export function ownerTarget(nodes: readonly NodeView[], owner: string, what: string): NodeView {
  const n = nodes.find((x) => x.name === owner);
  if (!n) throw new EngineError("NODE_NOT_FOUND", `${what}: its owner node ${owner} is not in the cluster`, { hint: "remove the record with 'ponton template rm' on a node after 'ponton node rm', or bring the node back" });
  if (n.status !== "Ready") {
    throw new EngineError("NODE_NOT_READY", `${what}: its owner node ${owner} is NotReady (last heartbeat ${n.heartbeat}); nothing was changed`, { hint: `start node ${owner}'s pontond: only the owner runs a template's replicas` });
  }
  return n;
}

/**
 * `scale A=N B=M` split by owner: this node's part (templates it owns, and any etcd does not know:
 * the local engine answers for those) and each other owner's. Order of the request kept in each part.
 */
export function scaleByOwner(records: readonly TemplateRecord[], wanted: Record<string, unknown>, self: string): Map<string, Record<string, unknown>> {
  const owners = new Map(records.map((r) => [r.name, r.owner]));
  const parts = new Map<string, Record<string, unknown>>();
  for (const [name, n] of Object.entries(wanted)) {
    const owner = owners.get(name) ?? self;
    parts.set(owner, { ...(parts.get(owner) ?? {}), [name]: n });
  }
  return parts;
}

/** What `template ls` shows of one template: the owner's view when it answered. */
export interface ClusterTemplateView {
  name: string;
  replicas: number;
  /** Replicas running, as the owner counts them; undefined when the owner did not answer. */
  running?: number;
  node: string;
  [more: string]: unknown;
}

/**
 * Every template of the cluster, each with its owner node: the owner's own view when it answered,
 * else the record (replicas wanted, running unknown). A local template etcd lacks (made before the
 * node joined) is listed too, as this node's.
 */
export function templateViewsOf(
  records: readonly TemplateRecord[],
  answers: ReadonlyMap<string, readonly { name: string; replicas: number }[]>,
  self: string,
  local: readonly { name: string; replicas: number }[],
): ClusterTemplateView[] {
  const out: ClusterTemplateView[] = records.map((r) => {
    const view = answers.get(r.owner)?.find((v) => v.name === r.name);
    if (view) return { ...view, node: r.owner };
    return {
      name: r.name,
      replicas: r.replicas,
      namespace: r.spec.namespace ?? "default",
      labels: r.spec.labels ?? {},
      networks: normalizeAttachSpecs(r.spec).map((a) => a.network),
      command: r.spec.command ?? [],
      node: r.owner,
    };
  });
  const known = new Set(records.map((r) => r.name));
  for (const v of local) if (!known.has(v.name)) out.push({ ...v, node: self });
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
