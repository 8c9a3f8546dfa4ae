// What kind of service a request asks for, and the fields each kind may not carry: a headless or
// ExternalName service has no VIP, so VIP-only options are refused rather than silently ignored.
import { isIP } from "node:net";
import { EngineError } from "../../errors";

export type ServiceKind = "ClusterIP" | "Headless" | "ExternalName";

export interface KindFields {
  headless?: boolean;
  externalName?: string;
}

export const kindOf = (s: KindFields): ServiceKind => (s.externalName ? "ExternalName" : s.headless ? "Headless" : "ClusterIP");

/** Fields only a service with a VIP uses, with the CLI flag that sets them. */
export const VIP_FIELDS = [
  ["vip", "--vip"],
  ["vips", "--vip"],
  ["ipFamily", "--ip-family"],
  ["ipFamilies", "--ip-family"],
  ["ipFamilyPolicy", "--ip-family"],
  ["scheduler", "--scheduler"],
  ["weights", "--weight"],
  ["publish", "--publish"],
  ["externalIps", "--external-ip"],
  ["loadBalancer", "--load-balancer"],
  ["affinity", "--affinity"],
  ["affinityTimeout", "--affinity-timeout"],
] as const;

const bad = (msg: string, hint?: string) => new EngineError("INVALID_ARGUMENT", msg, hint ? { hint } : {});

/** A value that asks for something (empty lists and maps, "none" affinities ask for nothing). */
export function given(v: unknown): boolean {
  if (v === undefined || v === null || v === "" || v === false) return false;
  if (v === "none" || v === "None") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

/** An ExternalName is a DNS name (RFC 1123, as Kubernetes requires), never an IP address. */
export function validateExternalName(v: unknown): string {
  const name = typeof v === "string" ? v.toLowerCase().replace(/\.$/, "") : "";
  const label = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
  if (!name || name.length > 253 || isIP(name) || !name.split(".").every((l) => label.test(l))) {
    throw bad(`invalid external name '${String(v)}'`, "an external name is a DNS name like db.example.org (not an IP address)");
  }
  return name;
}

/** The kind, after refusing fields that kind cannot honour. */
export function checkKind(spec: KindFields & Record<string, unknown>): ServiceKind {
  if (spec.headless !== undefined && typeof spec.headless !== "boolean") throw bad("'headless' must be true or false");
  if (spec.headless && spec.externalName !== undefined) throw bad("a service is either headless or an ExternalName, not both");
  const kind = kindOf(spec);
  if (kind === "ClusterIP") return kind;
  const what = kind === "Headless" ? "a headless service" : "an ExternalName service";
  for (const [field, flag] of VIP_FIELDS) {
    if (given(spec[field])) throw bad(`${flag} (${field}) has no meaning for ${what}: it has no VIP`);
  }
  if (kind === "ExternalName") {
    for (const [field, flag] of [["selector", "--selector"], ["health", "--health"]] as const) {
      if (given(spec[field])) throw bad(`${flag} (${field}) has no meaning for an ExternalName service: it has no endpoints`);
    }
  }
  return kind;
}
