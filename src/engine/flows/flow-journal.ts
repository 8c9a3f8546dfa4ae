// The flow journal (`pontond --flow-journal on`): every flow record as one JSON line in
// <state>/logs/flows.jsonl (rotated to flows.jsonl.1 at 64 MiB). At start the newest records there
// fill the in-memory buffer again, so `ponton observe` survives a restart of pontond.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import path from "node:path";
import type { FlowRecord, FlowRing } from "../../flows";
import { logDir, type EngineConfig } from "../config";
import { RotatingFile } from "../files/rotating-file";

const MAX_BYTES = 64 * 1024 * 1024;
/** Read back at most this much per buffered record: a record is ~0.5 KiB of JSON. */
const BYTES_PER_RECORD = 2048;

export const flowJournalFile = (c: EngineConfig) => path.join(logDir(c), "flows.jsonl");

/** The last `count` records of a journal file (a torn last line, from a crash, is skipped). */
export function readJournalTail(file: string, count: number): FlowRecord[] {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, count * BYTES_PER_RECORD);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    const lines = buf.toString("utf8").split("\n");
    if (length < size) lines.shift(); // the first line may start mid-record
    const records: FlowRecord[] = [];
    for (const line of lines) {
      if (!line) continue;
      try {
        records.push(JSON.parse(line) as FlowRecord);
      } catch {
        // a line cut short by a crash
      }
    }
    return records.slice(-count);
  } finally {
    closeSync(fd);
  }
}

export class FlowJournal {
  private readonly out: RotatingFile;

  constructor(file: string) {
    this.out = new RotatingFile(file, MAX_BYTES);
  }

  /** Refills `ring` from the journal, then appends every new record to it. */
  attach(ring: FlowRing): () => void {
    ring.restore(readJournalTail(this.out.file, ring.capacity));
    return ring.subscribe((r) => this.out.write(`${JSON.stringify(r)}\n`));
  }

  close(): Promise<void> {
    return this.out.close();
  }
}
