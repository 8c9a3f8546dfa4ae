import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { FlowRing, type FlowRecord } from "../../flows";
import { FlowJournal, readJournalTail } from "./flow-journal";

const rec = (seq: number): FlowRecord => ({
  seq, time: new Date(seq * 1000).toISOString(), verdict: "FORWARDED", ipVersion: 4, protocol: "tcp",
  source: { ip: "10.0.0.1", port: 40000 + seq }, destination: { ip: "10.0.0.2", port: 80 }, interfaces: {}, summary: "", policies: [],
});

test("the journal keeps every record and refills a new buffer with the newest, after a restart", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ponton-journal-"));
  try {
    const file = path.join(dir, "logs", "flows.jsonl");
    const first = new FlowRing(10);
    const journal = new FlowJournal(file);
    journal.attach(first);
    for (let i = 1; i <= 5; i++) first.push(rec(i), 0);
    await journal.close();
    assert.equal(readFileSync(file, "utf8").trim().split("\n").length, 5);

    const second = new FlowRing(3);
    new FlowJournal(file).attach(second);
    assert.deepEqual(second.records().map((r) => r.source.port), [40003, 40004, 40005]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a line cut short by a crash is skipped; a missing journal is empty", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ponton-journal-"));
  try {
    const file = path.join(dir, "flows.jsonl");
    appendFileSync(file, `${JSON.stringify(rec(1))}\n${JSON.stringify(rec(2))}\n{"seq":3,"ti`);
    assert.deepEqual(readJournalTail(file, 10).map((r) => r.seq), [1, 2]);
    assert.deepEqual(readJournalTail(path.join(dir, "none.jsonl"), 10), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
