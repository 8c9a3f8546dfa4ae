// The sticky-address table stays bounded under churn: names that no longer hold an address are
// kept up to STICKY_KEEP per network, newest first; names in use are never dropped.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import Database from "better-sqlite3";
import os from "node:os";
import path from "node:path";
import type { Attachment, Network, Workload } from "../model/types";
import { SqliteStore, STICKY_KEEP } from "./sqlite-store";

const network = (id: string): Network => ({ id, name: id, driver: "bridge", bridge: `pbr-${id}`, subnet4: "10.0.0.0/8", gateway4: "10.0.0.1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" });
const workload = (i: number): Workload => ({ id: `w${i}`, name: `name-${i}`, labels: {}, netnsMode: "owned", netns: `ns-${i}`, command: [], env: {}, restart: "no", routes: [], ports: [], state: "running", createdAt: "" });
const ipOf = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

function run(store: SqliteStore, net: string, i: number): void {
  store.transaction(() => {
    const w = workload(i);
    store.putWorkload(w);
    const a: Attachment = { workloadId: w.id, networkId: net, ifname: "eth0", hostIfname: `pv-${i}`, mac: "02:00:00:00:00:01", ip4: ipOf(i), index: 0 };
    store.putAttachment(a);
    store.setSticky(net, w.name, 4, ipOf(i));
  });
}

/** A fresh store in a temporary directory, removed afterwards even if opening fails. */
function withStore(fn: (store: SqliteStore) => void): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ponton-sticky-"));
  try {
    const store = new SqliteStore(path.join(dir, "ponton.db"), { synchronous: "NORMAL" });
    try {
      fn(store);
    } finally {
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("removed names' sticky addresses are capped per network, the most recent kept, names in use never dropped", () => {
  withStore((store) => {
    store.putNetwork(network("n1"));
    store.putNetwork(network("n2"));
    // Ten workloads stay on n1 the whole time; then churn: each run is removed again.
    for (let i = 1; i <= 10; i++) run(store, "n1", i);
    const churn = STICKY_KEEP + 300;
    for (let i = 11; i < 11 + churn; i++) {
      run(store, "n1", i);
      store.transaction(() => store.deleteWorkload(`w${i}`));
    }
    run(store, "n2", 900_000);
    store.transaction(() => store.deleteWorkload("w900000"));
    const rows = store.stickyAddresses("n1");
    assert.equal(rows.size, 10 + STICKY_KEEP, "bounded: the names in use plus STICKY_KEEP released ones");
    for (let i = 1; i <= 10; i++) assert.equal(rows.get(ipOf(i)), `name-${i}`, "a name in use keeps its record");
    const last = 11 + churn - 1;
    assert.equal(store.sticky("n1", `name-${last}`, 4), ipOf(last), "the most recently released is kept");
    assert.equal(store.sticky("n1", `name-${last - STICKY_KEEP + 1}`, 4), ipOf(last - STICKY_KEEP + 1));
    assert.equal(store.sticky("n1", `name-${last - STICKY_KEEP}`, 4), undefined, "the oldest released are dropped");
    assert.equal(store.sticky("n2", "name-900000", 4), ipOf(900_000), "other networks are counted on their own");
    // A name that comes back gets its address again, and counts as the newest.
    run(store, "n1", last - STICKY_KEEP + 1);
    store.transaction(() => store.deleteWorkload(`w${last - STICKY_KEEP + 1}`));
    assert.equal(store.stickyAddresses("n1").size, 10 + STICKY_KEEP);
  });
});

test("disconnecting a name from a network also bounds that network's records", () => {
  withStore((store) => {
    store.putNetwork(network("n1"));
    for (let i = 1; i <= STICKY_KEEP + 5; i++) {
      run(store, "n1", i);
      store.transaction(() => store.deleteAttachment(`w${i}`, "n1"));
    }
    assert.equal(store.stickyAddresses("n1").size, STICKY_KEEP);
  });
});

test("a database from before `released`: names not in use count as the oldest released, names in use are kept", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ponton-sticky-"));
  const file = path.join(dir, "ponton.db");
  try {
    const att = { workloadId: "w1", networkId: "n1", ifname: "eth0", hostIfname: "pv-1", mac: "m", ip4: ipOf(1), index: 0 };
    const old = new Database(file);
    old.exec(`CREATE TABLE workloads (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
      CREATE TABLE attachments (workload_id TEXT NOT NULL, network_id TEXT NOT NULL, ip4 TEXT, ip6 TEXT, doc TEXT NOT NULL, PRIMARY KEY (workload_id, network_id), UNIQUE (network_id, ip4), UNIQUE (network_id, ip6));
      CREATE TABLE sticky (network_id TEXT NOT NULL, name TEXT NOT NULL, family INTEGER NOT NULL, ip TEXT NOT NULL, PRIMARY KEY (network_id, name, family));
      INSERT INTO workloads VALUES ('w1', 'name-1', '${JSON.stringify(workload(1))}');
      INSERT INTO attachments VALUES ('w1', 'n1', '${ipOf(1)}', NULL, '${JSON.stringify(att)}');
      INSERT INTO sticky VALUES ('n1', 'name-1', 4, '${ipOf(1)}'), ('n1', 'gone', 4, '10.200.0.1');`);
    old.close();
    const store = new SqliteStore(file, { synchronous: "NORMAL" });
    try {
      store.putNetwork(network("n1"));
      for (let i = 2; i <= STICKY_KEEP + 1; i++) {
        run(store, "n1", i);
        store.transaction(() => store.deleteWorkload(`w${i}`));
      }
      assert.equal(store.sticky("n1", "gone", 4), undefined, "an old released record goes first");
      assert.equal(store.sticky("n1", "name-1", 4), ipOf(1), "a name in use at migration is kept");
      assert.equal(store.stickyAddresses("n1").size, 1 + STICKY_KEEP);
    } finally {
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("stickyNames: the names remembering one address, as the whole list has them", () => {
  withStore((store) => {
    store.putNetwork(network("n1"));
    store.putNetwork(network("n2"));
    for (let i = 1; i <= 30; i++) run(store, i % 3 ? "n1" : "n2", i);
    for (const net of ["n1", "n2"]) {
      const all = store.stickyAddresses(net);
      for (let i = 1; i <= 31; i++) assert.deepEqual(store.stickyNames(net, ipOf(i)), all.has(ipOf(i)) ? [all.get(ipOf(i))] : [], `${net} ${ipOf(i)}`);
    }
  });
});
