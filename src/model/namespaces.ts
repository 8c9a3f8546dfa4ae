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

/** Kubernetes sets this label on every namespace (1.21+); policies commonly select on it. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/**
 * A namespace's labels with `kubernetes.io/metadata.name` set to its name. As in Kubernetes the
 * label is Ponton's and immutable: policies that admit namespace x by it must not admit another
 * namespace that copied it. Giving it any other value is refused.
 */
export function namespaceLabels(name: string, labels: Record<string, string>): Record<string, string> {
  const given = labels[NAMESPACE_NAME_LABEL];
  if (given !== undefined && given !== name) {
    throw new EngineError("INVALID_ARGUMENT", `namespace ${name}: label ${NAMESPACE_NAME_LABEL} is the namespace's name, set by Ponton; it cannot be '${given}'`, {
      hint: `use another label key for your own grouping (${NAMESPACE_NAME_LABEL} is always ${name})`,
    });
  }
  return { ...labels, [NAMESPACE_NAME_LABEL]: name };
}

/** `namespace label` edits: removing the name label is refused like changing it. */
export function editNamespaceLabels(name: string, labels: Record<string, string>, edits: { set?: Record<string, string>; remove?: string[] }): Record<string, string> {
  if (edits.remove?.includes(NAMESPACE_NAME_LABEL)) {
    throw new EngineError("INVALID_ARGUMENT", `namespace ${name}: label ${NAMESPACE_NAME_LABEL} is set by Ponton and cannot be removed`, {
      hint: `policies select namespaces by it; it is always the namespace's name`,
    });
  }
  return namespaceLabels(name, applyLabelEdits(labels, edits));
}
