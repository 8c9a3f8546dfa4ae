// After a policy-only change the syncs that read no policy are skipped — but only while the store
// shows nothing they read moved: a write of anything else (under a policy-only declaration too)
// runs every sync. Checked against a real store, whose lists are shared until written.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parsePolicies } from "../../policy";
import type { Workload } from "../../model/types";
import type { Service } from "../../model/services/service";
import { SqliteStore } from "../../store";
import { ALL_SYNCS, syncInputs, syncsAfter } from "./after-change";

const workload = (name: string, labels: Record<string, string> = {}): Workload => ({ id: `id-${name}`, name, labels, netnsMode: "owned", netns: `ns-${name}`, command: [], env: {}, restart: "no", routes: [], ports: [], state: "running", createdAt: "" });
const policy = (port: number) => ({ policy: parsePolicies(`apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: ${port}}]}]\n`)[0]!, createdAt: "" });

function withStore(fn: (store: SqliteStore) => void): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ponton-after-change-"));
  const store = new SqliteStore(path.join(dir, "ponton.db"), { synchronous: "NORMAL" });
  try {
    store.putWorkload(workload("a", { app: "x" }));
    fn(store);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The syncs `write` (declared policy-only) gets, with the services' health `unhealthy` after it. */
function after(store: SqliteStore, write: () => void, unhealthy: ReadonlySet<string> = new Set()) {
  const before = syncInputs(store, new Set());
  store.transaction(write);
  return syncsAfter("policies", before, () => syncInputs(store, unhealthy));
}

test("a policy write alone: only the resolver's sync (its rules.dns and toFQDNs watches follow policies)", () => {
  withStore((store) => {
    assert.deepEqual(after(store, () => store.putPolicy(policy(80))), ["dns"]);
    assert.deepEqual(after(store, () => store.putPolicy(policy(81))), ["dns"]);
    assert.deepEqual(after(store, () => store.deletePolicy("default/p")), ["dns"]);
  });
});

test("anything else written under a policy-only declaration runs every sync", () => {
  withStore((store) => {
    const writes: Record<string, () => void> = {
      "a workload's labels": () => store.putWorkload(workload("a", { app: "y" })),
      "a new workload": () => store.putWorkload(workload("b")),
      "a namespace": () => store.putNamespace({ name: "team", labels: { "kubernetes.io/metadata.name": "team" }, createdAt: "" }),
      "an L2 policy": () => store.putL2Policy({ name: "l2", interfaces: [], externalIPs: false, loadBalancerIPs: true }),
    };
    for (const [what, write] of Object.entries(writes)) {
      assert.deepEqual(after(store, () => { store.putPolicy(policy(80)); write(); }), ALL_SYNCS, what);
    }
    // A service endpoint's health moved meanwhile (BGP and L2 announce only ready services).
    assert.deepEqual(after(store, () => store.putPolicy(policy(82)), new Set(["svc/id-a"])), ALL_SYNCS);
  });
});

test("an undeclared change runs every sync", () => {
  withStore((store) => {
    assert.deepEqual(syncsAfter("any", undefined, () => syncInputs(store, new Set())), ALL_SYNCS);
  });
});

/** The syncs a write declared as a workload label change gets. */
function afterLabels(store: SqliteStore, write: () => void) {
  const before = syncInputs(store, new Set());
  store.transaction(write);
  return syncsAfter("labels", before, () => syncInputs(store, new Set()));
}
const service = (name: string, selector: Record<string, string>): Service => ({ id: `id-${name}`, name, vip: "10.96.0.1", ports: [{ port: 80, targetPort: 80, protocol: "tcp" }], selector, scheduler: "rr", weights: {}, externalIps: [], createdAt: "" });

test("a label change alone: the resolver, and BGP and L2 only when a service selects the workload before or after", () => {
  withStore((store) => {
    assert.deepEqual(afterLabels(store, () => store.putWorkload(workload("a", { app: "y" }))), ["dns"], "no service");
    store.putService(service("web", { app: "web" }));
    assert.deepEqual(afterLabels(store, () => store.putWorkload(workload("a", { app: "z" }))), ["dns"], "a service that selects neither");
    assert.deepEqual(afterLabels(store, () => store.putWorkload(workload("a", { app: "web" }))), ["dns", "bgp", "l2"], "selected after");
    assert.deepEqual(afterLabels(store, () => store.putWorkload(workload("a", { app: "x" }))), ["dns", "bgp", "l2"], "selected before");
  });
});

test("anything but labels written under a label declaration runs every sync", () => {
  withStore((store) => {
    const writes: Record<string, () => void> = {
      "a workload's state with its labels": () => store.putWorkload({ ...workload("a", { app: "y" }), state: "exited" }),
      "a new workload": () => store.putWorkload(workload("b")),
      "a service": () => store.putService(service("web", { app: "web" })),
    };
    for (const [what, write] of Object.entries(writes)) assert.deepEqual(afterLabels(store, write), ALL_SYNCS, what);
  });
});
