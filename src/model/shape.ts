// JSON types of request fields, checked before any value is read: a number where a list is due is
// bad input (INVALID_ARGUMENT naming the field), never a TypeError that reaches the user as INTERNAL.
import { EngineError } from "../errors";

export type Kind = "string" | "boolean" | "number" | "integer" | "string[]" | "map" | "list" | "object";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function matches(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case "string": return typeof v === "string";
    case "boolean": return typeof v === "boolean";
    case "number": return typeof v === "number" && Number.isFinite(v);
    case "integer": return Number.isSafeInteger(v);
    case "string[]": return Array.isArray(v) && v.every((x) => typeof x === "string");
    case "list": return Array.isArray(v);
    case "object": return isObject(v);
    // Label-like maps: string values; numbers and booleans are written as text (YAML `port: 80`).
    case "map": return isObject(v) && Object.values(v).every((x) => typeof x === "string" || typeof x === "number" || typeof x === "boolean");
  }
}

const SAY: Record<Kind, string> = {
  string: "a string",
  boolean: "true or false",
  number: "a number",
  integer: "a whole number",
  "string[]": "a list of strings",
  map: "a map of key: value",
  list: "a list",
  object: "an object",
};

/** Each listed field, when present, has one of its kinds. A copy comes back without null fields (null = absent, as JSON clients send it). */
export function checkShape<T = Record<string, unknown>>(what: string, body: unknown, fields: Record<string, Kind | Kind[]>): T {
  if (!isObject(body)) throw new EngineError("INVALID_ARGUMENT", `${what}: the request must be an object`);
  const out = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null));
  for (const [key, kinds] of Object.entries(fields)) {
    const v = out[key];
    if (v === undefined) continue;
    const list = Array.isArray(kinds) ? kinds : [kinds];
    if (!list.some((k) => matches(k, v))) {
      throw new EngineError("INVALID_ARGUMENT", `${what}: '${key}' must be ${list.map((k) => SAY[k]).join(" or ")}, not ${describe(v)}`);
    }
  }
  return out as T;
}

/** Like checkShape for each element of a list field whose elements may be objects. */
export function checkEach(what: string, list: unknown, fields: Record<string, Kind | Kind[]>, alsoString = false): void {
  if (!Array.isArray(list)) return;
  list.forEach((item, i) => {
    if (alsoString && typeof item === "string") return;
    checkShape(`${what}[${i}]`, item, fields);
  });
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return `the string '${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  return `${typeof v} ${String(v)}`;
}
