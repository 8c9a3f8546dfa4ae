// Whatever umask pontond starts with, its state dir is 0700 and its database, WAL, shm and logs 0600.
import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SqliteStore } from "../../store";
import { openPrivate, privateDatabase, privateDir, privateFilesDir } from "./private-files";
import { RotatingFile } from "./rotating-file";

const mode = (f: string) => statSync(f).mode & 0o777;

function withUmask0(fn: (dir: string) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "ponton-private-"));
    const old = process.umask(0);
    try {
      await fn(dir);
    } finally {
      process.umask(old);
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  "directories 0700 (an existing one narrowed), files 0600 (old logs narrowed)",
  withUmask0((dir) => {
    const state = path.join(dir, "state");
    mkdirSync(state, { mode: 0o755 });
    privateDir(state);
    assert.equal(mode(state), 0o700);
    privateDir(path.join(state, "new", "deeper"));
    assert.equal(mode(path.join(state, "new", "deeper")), 0o700);
    const logs = path.join(state, "logs");
    mkdirSync(logs, { mode: 0o777 });
    writeFileSync(path.join(logs, "old.log"), "x", { mode: 0o666 });
    privateFilesDir(logs);
    assert.deepEqual([mode(logs), mode(path.join(logs, "old.log"))], [0o700, 0o600]);
    const existing = path.join(state, "was-wide.log");
    writeFileSync(existing, "", { mode: 0o644 });
    closeSync(openPrivate(existing, "a"));
    assert.equal(mode(existing), 0o600);
  }),
);

/** The stream opens its file asynchronously: wait for it (bounded). */
async function exists(file: string): Promise<boolean> {
  for (let i = 0; i < 200 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 10));
  return existsSync(file);
}

test(
  "the policy log and flow journal (RotatingFile) are 0600, before and after rotation, and an old wider one is narrowed",
  withUmask0(async (dir) => {
    const file = path.join(dir, "logs", "policy.log");
    const out = new RotatingFile(file, 15);
    out.write("first line\n");
    assert.equal(mode(path.dirname(file)), 0o700);
    assert.ok(await exists(file));
    assert.equal(mode(file), 0o600);
    out.write("second line\n");
    assert.equal(mode(`${file}.1`), 0o600);
    out.close();
    const old = path.join(dir, "logs", "flows.jsonl");
    writeFileSync(old, "", { mode: 0o644 });
    const journal = new RotatingFile(old, 1000);
    journal.write("x\n");
    for (let i = 0; i < 200 && mode(old) !== 0o600; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(mode(old), 0o600);
    journal.close();
  }),
);

test(
  "the SQLite database, its WAL and its shm are 0600",
  withUmask0((dir) => {
    const db = path.join(dir, "ponton.db");
    privateDatabase(db);
    const store = new SqliteStore(db);
    try {
      store.putNamespace({ name: "x", labels: {}, createdAt: "" });
      for (const f of [db, `${db}-wal`, `${db}-shm`]) assert.equal(mode(f), 0o600, f);
    } finally {
      store.close();
    }
  }),
);
