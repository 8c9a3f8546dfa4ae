// Plain-text table for humans; last-run.json carries the same numbers for machines.
import { Summary } from "../lib/stats";
import { ANCHORS } from "./anchors";
import { Check } from "./verify";

export interface SubjectResult {
  id: string;
  label: string;
  status: "ok" | "FAIL" | "ERROR" | "SKIPPED";
  error?: string;
  add?: Summary;
  del?: Summary;
  addParts?: Record<string, Summary>;
  delParts?: Record<string, Summary>;
  failures: number;
  failureExamples: string[];
  checks: Check[];
  notes: string[];
  ratioAdd?: number;
  ratioDel?: number;
}

const f = (x: number | undefined, d = 1): string => (x === undefined || Number.isNaN(x) ? "–" : x.toFixed(d));
const HEAD = ["subject", "n", "ADD p50", "p90", "p99", "max", "first10→last10", "DEL p50", "p90", "max", "ADD ×Ponton", "DEL ×Ponton", "status"];

function row(r: SubjectResult): string[] {
  const a = r.add;
  const d = r.del;
  return [
    r.label, String(a?.n ?? 0), f(a?.p50), f(a?.p90), f(a?.p99), f(a?.max),
    a ? `${f(a.first10Mean, 0)}→${f(a.last10Mean, 0)}` : "–",
    f(d?.p50), f(d?.p90), f(d?.max), r.ratioAdd ? `${f(r.ratioAdd, 2)}x` : "–", r.ratioDel ? `${f(r.ratioDel, 2)}x` : "–", r.status,
  ];
}

function anchorRow(id: string): string[] | undefined {
  const a = ANCHORS[id];
  if (!a) return undefined;
  const growth = a.first10 !== undefined ? `${a.first10}→${a.last10}` : "flat";
  return ["  ↳ anchor (RESULTS.md)", "100", f(a.add.p50), f(a.add.p90), f(a.add.p99), f(a.add.max), growth, f(a.del.p50), f(a.del.p90), f(a.del.max), "", "", ""];
}

export function renderTable(results: SubjectResult[]): string {
  const rows: string[][] = [HEAD];
  for (const r of results) {
    rows.push(row(r));
    const a = anchorRow(r.id);
    if (a) rows.push(a);
  }
  const widths = HEAD.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ");
  return [line(rows[0]), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n");
}

export function renderDetails(results: SubjectResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    out.push(`[${r.id}] ${r.status}${r.error ? `: ${r.error}` : ""}`);
    const parts = (label: string, p?: Record<string, Summary>) => {
      if (p && Object.keys(p).length > 1) out.push(`  ${label} p50 by process: ${Object.entries(p).map(([k, s]) => `${k} ${f(s.p50)}`).join(" / ")}`);
    };
    parts("ADD", r.addParts);
    parts("DEL", r.delParts);
    if (ANCHORS[r.id]?.parts) out.push(`  anchor ADD p50 by process: ${ANCHORS[r.id].parts}`);
    if (r.failures) out.push(`  failed ops: ${r.failures}; e.g. ${r.failureExamples.join(" || ")}`);
    for (const c of r.checks) out.push(`  check ${c.ok ? "ok  " : "FAIL"} ${c.name}${c.required ? "" : " (info)"}: ${c.detail}`);
    for (const n of r.notes) out.push(`  note: ${n}`);
  }
  return out.join("\n");
}
