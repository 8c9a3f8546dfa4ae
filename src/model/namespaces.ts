// Policy namespaces (Kubernetes' Namespace): names are DNS labels, as Kubernetes requires.
import { EngineError } from "../errors";
import { DEFAULT_NAMESPACE } from "./types";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function validateNamespace(name: unknown): string {
  if (name === undefined || name === null || name === "") return DEFAULT_NAMESPACE;
  if (typeof name !== "string" || !DNS_LABEL.test(name)) {
    throw new EngineError("INVALID_NAME", `invalid namespace name '${String(name)}'`, { hint: "namespaces are DNS labels: lowercase letters, digits and '-', up to 63" });
  }
  return name;
}

/** `k=v` sets, `k-` removes (kubectl label syntax). */
export function applyLabelEdits(labels: Record<string, string>, edits: { set?: Record<string, string>; remove?: string[] }): Record<string, string> {
  const out = { ...labels, ...(edits.set ?? {}) };
  for (const k of edits.remove ?? []) delete out[k];
  return out;
}
