// Cilium L7 (HTTP) rules, after parsing. Each field is a regular expression matched against the
// whole value (Cilium/Envoy anchor them); an absent field matches anything.

export interface HttpRule {
  method?: string;
  path?: string;
  host?: string;
  /** "Name" (present) or "Name: value" (present with exactly this value), as Cilium writes them. */
  headers?: string[];
}
