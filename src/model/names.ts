// Validation of user-given names.
import { EngineError } from "../errors";
import { checkCount, MAX_LABEL_PREFIX, MAX_LABELS } from "./limits";

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

export function validateName(kind: string, name: unknown): string {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new EngineError("INVALID_NAME", `invalid ${kind} name '${String(name)}'`);
  }
  return name;
}

// Kubernetes' DNS-1035 label: a service name is one DNS label as it is, so `WEB` and `web`, or
// `a.b` (two labels), never fold into another service's name.
const DNS_1035 = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function validateServiceName(name: unknown): string {
  if (typeof name !== "string" || !DNS_1035.test(name)) {
    throw new EngineError("INVALID_NAME", `invalid service name '${String(name)}'`, { hint: "a service name is a DNS label: lowercase letters, digits and '-', starting with a letter, at most 63 (Kubernetes' DNS-1035)" });
  }
  return name;
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]{0,61}[a-zA-Z0-9])?$/;
const LABEL_VALUE = /^([a-zA-Z0-9]([-a-zA-Z0-9_.]{0,61}[a-zA-Z0-9])?)?$/;

/** Labels follow Kubernetes' syntax so selectors written for Kubernetes work unchanged. */
export function validateLabels(labels: unknown): Record<string, string> {
  if (labels === undefined || labels === null) return {};
  if (typeof labels !== "object" || Array.isArray(labels)) {
    throw new EngineError("INVALID_ARGUMENT", "labels must be a map of key: value");
  }
  const entries = Object.entries(labels as Record<string, unknown>);
  checkCount("labels on one object", entries.length, MAX_LABELS);
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    const value = typeof v === "number" || typeof v === "boolean" ? String(v) : v;
    const slash = k.indexOf("/");
    if (k.length > MAX_LABEL_PREFIX + 64 || slash > MAX_LABEL_PREFIX || !LABEL_KEY.test(k) || typeof value !== "string" || !LABEL_VALUE.test(value)) {
      throw new EngineError("INVALID_ARGUMENT", `invalid label '${k}=${String(v)}'`, { hint: `labels look like app=web (Kubernetes label syntax: a key of 1-63 characters with an optional DNS prefix of up to ${MAX_LABEL_PREFIX} and '/', a value of 0-63)` });
    }
    out[k] = value;
  }
  return out;
}

/** "k=v" strings from the command line into a label map. */
export function parseLabelArgs(args: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const a of args) {
    const eq = a.indexOf("=");
    if (eq <= 0) throw new EngineError("INVALID_ARGUMENT", `invalid label '${a}'`, { hint: "write labels as key=value" });
    labels[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return validateLabels(labels);
}
