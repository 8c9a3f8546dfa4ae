// Runs one subject: setup, 1 warm-up ADD/DEL, N ADDs, checks, N DELs, check, teardown.
// ADDs all happen before DELs, as in the anchors, so growth with N shows in first10→last10.
import { aborting } from "../lib/cleanup";
import { Summary, summarize } from "../lib/stats";
import { SubjectResult } from "./report";
import { OpResult, Subject } from "./subject";
import { verifyAfterAdd, verifyAfterDel } from "./verify";

const MAX_CONSECUTIVE_FAILURES = 5;

export interface Samples {
  add: number[];
  del: number[];
}

class Series {
  readonly total: number[] = [];
  readonly parts: Record<string, number[]> = {};

  push(r: OpResult): void {
    this.total.push(r.ms);
    for (const [k, v] of Object.entries(r.parts ?? {})) (this.parts[k] ??= []).push(v);
  }

  partSummaries(): Record<string, Summary> {
    return Object.fromEntries(Object.entries(this.parts).map(([k, v]) => [k, summarize(v)]));
  }
}

const log = (id: string, msg: string) => process.stderr.write(`[${id}] ${msg}\n`);

export async function measure(s: Subject, count: number, tmp: string): Promise<{ result: SubjectResult; samples: Samples }> {
  const result: SubjectResult = { id: s.id, label: s.label, status: "ok", failures: 0, failureExamples: [], checks: [], notes: s.notes };
  const adds = new Series();
  const dels = new Series();
  const fail = (err: unknown) => {
    result.failures++;
    if (result.failureExamples.length < 3) result.failureExamples.push((err as Error).message);
  };
  try {
    log(s.id, `setup (${count} workloads)`);
    await s.setup(count);
    await s.add(0);
    await s.del(0);
    const added: number[] = [];
    let consecutive = 0;
    for (let i = 1; i <= count; i++) {
      if (aborting()) throw new Error("interrupted");
      try {
        adds.push(await s.add(i));
        added.push(i);
        consecutive = 0;
      } catch (err) {
        fail(err);
        if (++consecutive >= MAX_CONSECUTIVE_FAILURES) throw new Error(`${consecutive} ADDs failed in a row: ${(err as Error).message}`);
      }
    }
    log(s.id, `ADD done (p50 ${summarize(adds.total).p50.toFixed(1)} ms); checking`);
    result.checks.push(...(await verifyAfterAdd(s, tmp)));
    for (const i of added) {
      try {
        dels.push(await s.del(i));
      } catch (err) {
        fail(err);
      }
    }
    result.checks.push(await verifyAfterDel(s));
    log(s.id, `DEL done (p50 ${summarize(dels.total).p50.toFixed(1)} ms)`);
  } catch (err) {
    result.status = "ERROR";
    result.error = (err as Error).message;
  } finally {
    try {
      await s.teardown();
    } catch (err) {
      result.notes.push(`teardown: ${(err as Error).message}`);
    }
  }
  if (adds.total.length) {
    result.add = summarize(adds.total);
    result.addParts = adds.partSummaries();
  }
  if (dels.total.length) {
    result.del = summarize(dels.total);
    result.delParts = dels.partSummaries();
  }
  if (result.status === "ok" && (result.failures > 0 || result.checks.some((c) => c.required && !c.ok))) result.status = "FAIL";
  return { result, samples: { add: adds.total, del: dels.total } };
}
