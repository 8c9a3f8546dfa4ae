// The Kubernetes syntax rules a NetworkPolicy is checked against (apimachinery validation).
// Each returns null when valid, else the reason.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function checkDnsLabel(v: string): string | null {
  if (v.length > 63) return "must be no more than 63 characters";
  return DNS1123_LABEL.test(v) ? null : "must be a lowercase RFC 1123 label (a-z, 0-9, '-'; starting and ending with a letter or digit)";
}

export function checkDnsSubdomain(v: string): string | null {
  if (v.length > 253) return "must be no more than 253 characters";
  return DNS1123_SUBDOMAIN.test(v) ? null : "must be a lowercase RFC 1123 subdomain (a-z, 0-9, '-', '.')";
}

/** A label key: [prefix/]name, prefix a DNS subdomain, name up to 63 characters. */
export function checkLabelKey(v: string): string | null {
  const parts = v.split("/");
  if (parts.length > 2) return "a label key has at most one '/'";
  const name = parts[parts.length - 1]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix === "") return "the prefix before '/' must not be empty";
    const p = checkDnsSubdomain(prefix);
    if (p) return `prefix ${p}`;
  }
  if (name === "") return "name part must not be empty";
  if (name.length > 63) return "name part must be no more than 63 characters";
  return QUALIFIED_NAME.test(name) ? null : "name part must consist of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
}

export function checkLabelValue(v: string): string | null {
  if (v.length > 63) return "must be no more than 63 characters";
  return LABEL_VALUE.test(v) ? null : "must be empty or consist of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
}

/** IANA_SVC_NAME, the syntax of a named port. */
export function checkPortName(v: string): string | null {
  if (v.length === 0 || v.length > 15) return "a port name must be 1-15 characters";
  if (!/^[-a-z0-9]+$/.test(v)) return "a port name may contain only a-z, 0-9 and '-'";
  if (!/[a-z]/.test(v)) return "a port name must contain at least one letter";
  if (v.startsWith("-") || v.endsWith("-")) return "a port name must not begin or end with '-'";
  if (v.includes("--")) return "a port name must not contain '--'";
  return null;
}
