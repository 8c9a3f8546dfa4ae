// Which syncs run after a change (issue 18, "Faster policy changes"). Every change ends with the
// nft sync inside its own operation (and with it the L7 proxy's configuration), then the
// resolver's sync (records, and the rules.dns/toFQDNs watches, which follow policies). The other
// syncs — the healer's namespace watch, the port holder, the BGP speaker, the L2 responder — read
// workloads, attachments, networks, services, namespaces, LB pools, BGP and L2 policies and the
// services' health, never a NetworkPolicy: after a change declared policy-only they are skipped,
// but only when the store shows that nothing they read moved (a declared kind is checked, not trusted).

import type { Store } from "../../store";

/** "policies": the operation writes only policy records (apply, remove, the cluster mirror of policies). */
export type ChangeKind = "any" | "policies";

/** What the non-policy syncs read, as cheap to compare as the store allows. */
export interface SyncInputs {
  /** The store hands out the same frozen arrays until a row is written (doc-cache.ts). */
  workloads: readonly unknown[];
  attachments: readonly unknown[];
  /** Everything else they read, serialized (tens of records, not thousands). */
  rest: string;
}

/** Taken from the store itself, so a write an operation did not declare is seen. */
export function syncInputs(store: Store, unhealthy: ReadonlySet<string>): SyncInputs {
  return {
    workloads: store.workloads(),
    attachments: store.attachments(),
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
  if (kind !== "policies" || !before) return ALL_SYNCS;
  const now = after();
  const same = now.workloads === before.workloads && now.attachments === before.attachments && now.rest === before.rest;
  return same ? ["dns"] : ALL_SYNCS;
}
