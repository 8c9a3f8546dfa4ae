// `ponton lb-pool|bgp|l2-policy apply -f FILE`: YAML or JSON, several documents or a List, each
// parsed by its kind's reader; a name given twice is refused (nothing applied).
import { parseAllDocuments } from "yaml";
import { EngineError } from "../../errors";

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function parseKindManifests<T extends { name: string }>(text: string, kind: string, label: string, read: (doc: unknown, path: string) => T): T[] {
  const docs: unknown[] = [];
  for (const d of parseAllDocuments(text)) {
    if (d.errors.length) throw new EngineError("INVALID_YAML", `not valid YAML: ${d.errors[0]!.message}`);
    const v: unknown = d.toJS();
    if (v === null || v === undefined) continue;
    if (isObj(v) && (v.kind === "List" || v.kind === `${kind}List`)) docs.push(...(Array.isArray(v.items) ? v.items : []));
    else docs.push(v);
  }
  if (docs.length === 0) throw new EngineError("INVALID_YAML", `no ${kind} document in the file`);
  const out = docs.map((d, i) => read(d, `documents[${i}]`));
  const dup = out.find((p, i) => out.findIndex((q) => q.name === p.name) !== i);
  if (dup) throw new EngineError("INVALID_YAML", `${label} ${dup.name} is given twice`);
  return out;
}
