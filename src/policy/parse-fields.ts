import { invalid } from "./errors";
import { checkLabelKey, checkLabelValue } from "./k8s-names";
import type { LabelRequirement, LabelSelector } from "./types";

// Field readers shared by the NetworkPolicy and Cilium parsers: strict objects, lists, strings,
// label selectors as the API server validates them.

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** null and undefined both mean "absent", as in the API's JSON decoding. */
export function absent(v: unknown): v is null | undefined {
  return v === undefined || v === null;
}

export function expectObj(v: unknown, path: string, allowed: readonly string[]): Obj {
  if (!isObj(v)) throw invalid(path, "must be an object");
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) throw invalid(path ? `${path}.${k}` : k, `unknown field (expected one of: ${allowed.join(", ")})`);
  }
  return v;
}

export function expectArray(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw invalid(path, "must be a list");
  return v;
}

export function expectString(v: unknown, path: string): string {
  if (typeof v !== "string") throw invalid(path, "must be a string");
  return v;
}

export function parseSelector(v: unknown, path: string): LabelSelector {
  if (absent(v)) return { matchLabels: {}, matchExpressions: [] };
  const o = expectObj(v, path, ["matchLabels", "matchExpressions"]);
  const matchLabels: Record<string, string> = {};
  if (!absent(o.matchLabels)) {
    const ml = expectObj(o.matchLabels, `${path}.matchLabels`, Object.keys(o.matchLabels as Obj));
    for (const [k, val] of Object.entries(ml)) {
      const keyErr = checkLabelKey(k);
      if (keyErr) throw invalid(`${path}.matchLabels`, `key "${k}": ${keyErr}`);
      const s = expectString(val, `${path}.matchLabels.${k}`);
      const valErr = checkLabelValue(s);
      if (valErr) throw invalid(`${path}.matchLabels.${k}`, `"${s}": ${valErr}`);
      matchLabels[k] = s;
    }
  }
  const matchExpressions: LabelRequirement[] = [];
  if (!absent(o.matchExpressions)) {
    expectArray(o.matchExpressions, `${path}.matchExpressions`).forEach((e, i) => {
      matchExpressions.push(parseRequirement(e, `${path}.matchExpressions[${i}]`));
    });
  }
  return { matchLabels, matchExpressions };
}

function parseRequirement(v: unknown, path: string): LabelRequirement {
  const o = expectObj(v, path, ["key", "operator", "values"]);
  if (absent(o.key)) throw invalid(`${path}.key`, "required");
  const key = expectString(o.key, `${path}.key`);
  const keyErr = checkLabelKey(key);
  if (keyErr) throw invalid(`${path}.key`, `"${key}": ${keyErr}`);
  const op = absent(o.operator) ? "" : expectString(o.operator, `${path}.operator`);
  if (op !== "In" && op !== "NotIn" && op !== "Exists" && op !== "DoesNotExist") {
    throw invalid(`${path}.operator`, `"${op}" is not supported (In, NotIn, Exists, DoesNotExist)`);
  }
  const values = absent(o.values) ? [] : expectArray(o.values, `${path}.values`).map((x, i) => {
    const s = expectString(x, `${path}.values[${i}]`);
    const err = checkLabelValue(s);
    if (err) throw invalid(`${path}.values[${i}]`, `"${s}": ${err}`);
    return s;
  });
  if ((op === "In" || op === "NotIn") && values.length === 0) {
    throw invalid(`${path}.values`, `must be specified when operator is ${op}`);
  }
  if ((op === "Exists" || op === "DoesNotExist") && values.length > 0) {
    throw invalid(`${path}.values`, `may not be specified when operator is ${op}`);
  }
  return { key, operator: op, values };
}

