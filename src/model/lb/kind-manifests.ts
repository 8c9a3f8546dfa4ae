// The Cilium LB manifests (CiliumLoadBalancerIPPool, CiliumBGPPeeringPolicy,
// CiliumL2AnnouncementPolicy): what their readers share — errors naming the field (INVALID_YAML),
// the kind/apiVersion/metadata.name head, label selectors, and `apply -f FILE` with several
// documents or a List, a name given twice refused (nothing applied).
import { parseAllDocuments } from "yaml";
import { EngineError } from "../../errors";
import { parseSelector, PolicyError, type LabelSelector } from "../../policy";
import { validateName } from "../names";

export const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export const fail = (path: string, message: string): never => {
  throw new EngineError("INVALID_YAML", `${path}: ${message}`);
};

export function selector(v: unknown, path: string): LabelSelector | undefined {
  if (v === undefined || v === null) return undefined;
  try {
    return parseSelector(v, path);
  } catch (e) {
    return fail(e instanceof PolicyError ? e.path : path, e instanceof PolicyError ? e.reason : (e as Error).message);
  }
}

/** The document's kind and apiVersion checked (`expected` words the versions for the error) and its name. */
export function manifestName(doc: unknown, at: string, kind: string, versions: readonly string[], expected: string, label: string): { doc: Record<string, unknown>; name: string } {
  if (!isObj(doc)) return fail(at, "expected a map");
  if (doc.kind !== kind) fail(`${at}.kind`, `expected ${kind}, not '${String(doc.kind)}'`);
  if (!versions.includes(String(doc.apiVersion))) fail(`${at}.apiVersion`, `expected ${expected}, not '${String(doc.apiVersion)}'`);
  const meta = isObj(doc.metadata) ? doc.metadata : fail(`${at}.metadata`, "required, with a name");
  const name = typeof meta.name === "string" ? meta.name : fail(`${at}.metadata.name`, "required");
  try {
    validateName(label, name);
  } catch (e) {
    fail(`${at}.metadata.name`, (e as Error).message);
  }
  return { doc, name };
}

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
