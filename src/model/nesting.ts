// Bounds on how deep a request may nest: past them, bad input with a code, never a stack overflow
// in a recursive walk further on (JSON.stringify, YAML toJS, the policy parser).
import { EngineError } from "../errors";

/** Far deeper than any Ponton object (a NetworkPolicy is ~8 levels), far below any stack limit. */
export const MAX_DEPTH = 64;

/** Deepest bracket nesting of JSON text, in one pass over the characters (strings skipped). */
export function jsonTextDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) max = Math.max(max, ++depth);
    else if (c === 125 || c === 93) depth--;
  }
  return max;
}

/** Nesting depth of a parsed value, walked without recursion. */
export function valueDepth(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    max = Math.max(max, d + 1);
    if (max > MAX_DEPTH) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

export function checkDepth(what: string, depth: number, code: "INVALID_ARGUMENT" | "INVALID_YAML" = "INVALID_ARGUMENT"): void {
  if (depth > MAX_DEPTH) throw new EngineError(code, `${what} nests deeper than ${MAX_DEPTH} levels`, { hint: "nothing was applied; flatten the input" });
}
