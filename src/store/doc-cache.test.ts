// Workloads and attachments are parsed once and shared until written: the lists a read returns are
// what the table holds (in the SELECT's order) after every put, delete and rolled-back transaction.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Attachment, Workload } from "../model/types";
import { SqliteStore } from "./sqlite-store";

const workload = (id: string, name: string, labels: Record<string, string> = {}): Workload => ({ id, name, labels, netnsMode: "owned", netns: `ns-${name}`, command: [], env: {}, restart: "no", routes: [], ports: [], state: "running", createdAt: "" });
const attachment = (workloadId: string, networkId: string, ip4: string): Attachment => ({ workloadId, networkId, ifname: "eth0", hostIfname: `pv-${workloadId}`, mac: "02:00:00:00:00:01", ip4, index: 0 });

function withStore(fn: (store: SqliteStore, file: string) => void): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ponton-doc-cache-"));
  try {
    const file = path.join(dir, "ponton.db");
    const store = new SqliteStore(file, { synchronous: "NORMAL" });
    try {
      fn(store, file);
    } finally {
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What a fresh store on the same file reads: the table itself. */
function fromDisk(file: string): { workloads: readonly Workload[]; attachments: readonly Attachment[] } {
  const s = new SqliteStore(file, { synchronous: "NORMAL" });
  try {
    return { workloads: s.workloads(), attachments: s.attachments() };
  } finally {
    s.close();
  }
}

test("the same list until a write; each write is seen, in name order, as the table holds it", () => {
  withStore((store, file) => {
    store.putWorkload(workload("b", "web"));
    store.putWorkload(workload("a", "db"));
    const first = store.workloads();
    assert.equal(store.workloads(), first, "no write: the same array");
    assert.deepEqual(first.map((w) => w.name), ["db", "web"]);
    store.putWorkload({ ...workload("b", "web"), labels: { app: "web" } });
    assert.notEqual(store.workloads(), first);
    assert.deepEqual(store.workloads().find((w) => w.id === "b")!.labels, { app: "web" });
    store.putAttachment(attachment("b", "n2", "10.0.0.3"));
    store.putAttachment(attachment("a", "n1", "10.0.0.2"));
    store.putAttachment(attachment("b", "n1", "10.0.0.4"));
    store.deleteAttachment("b", "n2");
    assert.deepEqual(store.attachments(), fromDisk(file).attachments);
    assert.deepEqual(store.attachments().map((a) => `${a.workloadId}/${a.networkId}`), ["a/n1", "b/n1"]);
    store.deleteWorkload("a");
    assert.deepEqual(store.workloads(), fromDisk(file).workloads);
    assert.deepEqual(store.attachments().map((a) => a.workloadId), ["b"]);
  });
});

test("records are frozen copies: the caller's object and the shared record never change each other", () => {
  withStore((store) => {
    const w = workload("a", "web", { app: "web" });
    store.putWorkload(w);
    w.labels.app = "changed";
    const kept = store.workloads()[0]!;
    assert.equal(kept.labels.app, "web");
    assert.throws(() => {
      (kept.labels as Record<string, string>).app = "x";
    }, TypeError);
  });
});

test("a rolled-back transaction leaves no trace in the lists", () => {
  withStore((store, file) => {
    store.putWorkload(workload("a", "web"));
    store.workloads();
    store.attachments();
    assert.throws(() =>
      store.transaction(() => {
        store.putWorkload(workload("b", "db"));
        store.putAttachment(attachment("b", "n1", "10.0.0.2"));
        throw new Error("abort");
      }),
    );
    assert.deepEqual(store.workloads().map((w) => w.name), ["web"]);
    assert.deepEqual(store.attachments(), []);
    assert.deepEqual(store.workloads(), fromDisk(file).workloads);
  });
});
