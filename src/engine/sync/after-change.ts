// Which syncs run after a change (issue 18, "Faster policy changes"). Every change ends with the
// nft sync inside its own operation (and with it the L7 proxy's configuration), then the
// resolver's sync (records, and the rules.dns/toFQDNs watches, which follow policies). The other
// syncs — the healer's namespace watch, the port holder, the BGP speaker, the L2 responder — read
// workloads, attachments, networks, services, namespaces, LB pools, BGP and L2 policies and the
// services' health, never a NetworkPolicy: after a change declared policy-only they are skipped,
// but only when the store shows that nothing they read moved (a declared kind is checked, not trusted).
// A workload label change is checked the same way: when only labels moved, the healer and the port
// holder (which read no label) are skipped, and BGP and L2 too unless a service selects a relabelled
// workload (they announce services by their ready endpoints, which selectors pick).

import type { Workload } from "../../model/types";
import { selectorMatches, type Service } from "../../model/services/service";
import type { Store } from "../../store";

/** "policies": the operation writes only policy records (apply, remove, the cluster mirror of policies); "labels": only workloads' labels. */
export type ChangeKind = "any" | "policies" | "labels";

/** What the non-policy syncs read, as cheap to compare as the store allows. */
export interface SyncInputs {
  /** The store hands out the same frozen arrays and rows until a row is written (doc-cache.ts). */
  workloads: readonly Workload[];
  attachments: readonly unknown[];
  services: readonly Service[];
  /** Everything else they read, serialized (tens of records, not thousands). */
  rest: string;
}

/** Taken from the store itself, so a write an operation did not declare is seen. */
export function syncInputs(store: Store, unhealthy: ReadonlySet<string>): SyncInputs {
  return {
    workloads: store.workloads(),
    attachments: store.attachments(),
    services: store.services(),
    rest: JSON.stringify([store.networks(), store.services(), store.namespaces(), store.lbPools(), store.bgpPolicies(), store.l2Policies(), [...unhealthy].sort()]),
  };
}

/** The syncs after the nft sync; `dns` always (it skips itself when nothing it serves changed, and policies move its watches). */
export type AfterSync = "follow" | "ports" | "dns" | "bgp" | "l2";
export const ALL_SYNCS: readonly AfterSync[] = ["follow", "ports", "dns", "bgp", "l2"];

/**
 * `before`: the inputs taken before a policy-only operation ran (undefined for any other kind);
 * `after`: taken after it. Anything but an unchanged policy-only change runs every sync.
 */
export function syncsAfter(kind: ChangeKind, before: SyncInputs | undefined, after: () => SyncInputs): readonly AfterSync[] {
  if (kind === "any" || !before) return ALL_SYNCS;
  const now = after();
  if (now.attachments !== before.attachments || now.rest !== before.rest) return ALL_SYNCS;
  if (now.workloads === before.workloads) return ["dns"];
  if (kind !== "labels") return ALL_SYNCS;
  const relabelled = labelsMoved(before.workloads, now.workloads);
  if (!relabelled) return ALL_SYNCS;
  const selected = now.services.some((s) => relabelled.some((labels) => selectorMatches(s.selector, labels)));
  return selected ? ["dns", "bgp", "l2"] : ["dns"];
}

/** The old and new label sets of the workloads whose labels alone changed; undefined when anything else did. */
function labelsMoved(before: readonly Workload[], now: readonly Workload[]): Record<string, string>[] | undefined {
  if (before.length !== now.length) return undefined;
  const out: Record<string, string>[] = [];
  for (let i = 0; i < now.length; i++) {
    const a = before[i]!;
    const b = now[i]!;
    if (a === b) continue;
    // Unchanged rows keep their identity: only the written ones are compared field by field.
    if (JSON.stringify({ ...a, labels: {} }) !== JSON.stringify({ ...b, labels: {} })) return undefined;
    out.push(a.labels, b.labels);
  }
  return out;
}
