// One way to name a namespaced object in every command: `-n NS NAME` or `NS/NAME` (NAME alone is
// in the default namespace for services and policies; for workloads and templates, whose names are
// unique across namespaces, a namespace given is a check that the object is in it, as `kubectl -n`).
import { EngineError } from "../errors";
import { validateNamespace } from "./namespaces";

export interface ObjectRef {
  /** Undefined when neither `-n` nor `NS/` was given. */
  namespace?: string;
  name: string;
}

export function parseObjectRef(kind: string, ref: string, namespaceOption?: string): ObjectRef {
  const slash = ref.indexOf("/");
  const given = namespaceOption === undefined || namespaceOption === "" ? undefined : validateNamespace(namespaceOption);
  if (slash < 0) return { ...(given ? { namespace: given } : {}), name: ref };
  const ns = validateNamespace(ref.slice(0, slash));
  const name = ref.slice(slash + 1);
  if (name === "" || name.includes("/")) throw new EngineError("INVALID_ARGUMENT", `invalid ${kind} reference '${ref}'`, { hint: `write NAME, NS/NAME or -n NS NAME` });
  if (given !== undefined && given !== ns) throw new EngineError("INVALID_ARGUMENT", `${kind} ${ref} is in namespace ${ns}, but -n says ${given}`);
  return { namespace: ns, name };
}

/** The query part that carries a ref's namespace to the API ("" without one). */
export function namespaceQuery(ref: ObjectRef, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ ...extra, ...(ref.namespace ? { namespace: ref.namespace } : {}) }).toString();
  return q ? `?${q}` : "";
}
