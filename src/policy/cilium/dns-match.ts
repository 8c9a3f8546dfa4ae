import type { DnsMatch } from "../types";

// Cilium's DNS name semantics (pkg/fqdn/matchpattern), shared by toFQDNs and rules.dns:
// names compare lower case without the trailing dot; in a pattern `*` matches any run of
// DNS-valid characters inside one label, `*` alone matches every name, and a leading `**.`
// matches one or more whole labels (Cilium 1.16+).

const NAME_CHARS = /^[-a-z0-9_.]+$/;
const PATTERN_CHARS = /^[-a-z0-9_.*]+$/;
const LABEL_RUN = "[-a-z0-9_]*";

/** "Example.COM." -> "example.com". */
export function normalizeDnsName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

/** Why a matchName is not valid, or undefined. */
export function checkMatchName(name: string): string | undefined {
  const n = normalizeDnsName(name);
  if (n === "") return "must not be empty";
  if (!NAME_CHARS.test(n)) return `"${name}" may hold only letters, digits, "-", "_" and "."`;
  if (n.split(".").some((l) => l === "")) return `"${name}" has an empty label`;
  return undefined;
}

/** Why a matchPattern is not valid, or undefined. */
export function checkMatchPattern(pattern: string): string | undefined {
  const p = normalizeDnsName(pattern);
  if (p === "") return "must not be empty";
  if (!PATTERN_CHARS.test(p)) return `"${pattern}" may hold only letters, digits, "-", "_", "." and "*"`;
  const rest = p.startsWith("**.") ? p.slice(3) : p;
  if (rest.includes("**")) return `"${pattern}": "**" is allowed only as a leading "**." label`;
  if (rest.split(".").some((l) => l === "")) return `"${pattern}" has an empty label`;
  return undefined;
}

const compiled = new Map<string, RegExp>();

function patternRegex(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    const multi = pattern.startsWith("**.");
    const rest = multi ? pattern.slice(3) : pattern;
    const body = rest.split("*").map((part) => part.replace(/\./g, "\\.")).join(LABEL_RUN);
    re = new RegExp(`^${multi ? "(?:[-a-z0-9_]+\\.)+" : ""}${body}$`);
    if (compiled.size > 4096) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

/** Does one selector match this (normalized) name? */
export function dnsMatches(m: DnsMatch, name: string): boolean {
  if (m.matchName !== undefined) return m.matchName === name;
  if (m.matchPattern === undefined) return false;
  if (m.matchPattern === "*") return name !== "";
  return patternRegex(m.matchPattern).test(name);
}

/** The first selector of the list that matches, or undefined. */
export function firstDnsMatch(list: readonly DnsMatch[], name: string): DnsMatch | undefined {
  return list.find((m) => dnsMatches(m, name));
}

/** For messages: `matchName: x` or `matchPattern: *.x`. */
export function dnsMatchText(m: DnsMatch): string {
  return m.matchName !== undefined ? `matchName: ${m.matchName}` : `matchPattern: ${m.matchPattern}`;
}
