// YAML (or JSON) text into plain values, bounded: aliases (billion laughs) and nesting are capped,
// and every failure is INVALID_YAML rather than an exception from the parser.
import { parseAllDocuments } from "yaml";
import { EngineError } from "../../errors";
import { checkDepth, valueDepth } from "../nesting";

/** An alias may be expanded this many times in one document (the yaml package's default, made explicit). */
export const MAX_YAML_ALIASES = 100;

/** The non-empty documents' values; `onSyntax` may throw its own error for a syntax error (document index, message). */
export function yamlDocuments(text: string, onSyntax?: (index: number, message: string) => never): unknown[] {
  const out: unknown[] = [];
  parseAllDocuments(text).forEach((d, i) => {
    if (d.errors.length) {
      const message = d.errors[0]!.message;
      if (onSyntax) onSyntax(i, message);
      throw new EngineError("INVALID_YAML", `not valid YAML: ${message}`);
    }
    let v: unknown;
    try {
      v = d.toJS({ maxAliasCount: MAX_YAML_ALIASES });
    } catch (e) {
      throw new EngineError("INVALID_YAML", `document ${i + 1}: ${(e as Error).message}`, { hint: `an alias may be expanded at most ${MAX_YAML_ALIASES} times; nothing was applied` });
    }
    checkDepth(`YAML document ${i + 1}`, valueDepth(v), "INVALID_YAML");
    out.push(v);
  });
  return out;
}
