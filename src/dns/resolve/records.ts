// The record model the engine feeds us. Names are lowercase FQDNs without the trailing dot so
// that a lookup is one Map.get with no normalisation on the hot path.
import { isIPv4, isIPv6 } from "node:net";

export type RecordType = "A" | "AAAA" | "PTR" | "SRV" | "CNAME" | "TXT";

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface DnsRecord {
  name: string;
  type: RecordType;
  ttl: number;
  data: string | SrvData;
}

/** Lowercase, no leading/trailing dot: the one spelling used as a map key. */
export function normalizeName(name: string): string {
  let n = name.toLowerCase();
  if (n.endsWith(".")) n = n.slice(0, -1);
  if (n.startsWith(".")) n = n.slice(1);
  return n;
}

/** Throws on a record the wire encoder would reject, so a bad engine input fails at setView, not per query. */
export function validateRecord(r: DnsRecord): void {
  const what = `dns record ${r.name} ${r.type}`;
  if (r.name !== normalizeName(r.name) || r.name === "") throw new Error(`${what}: name must be a lowercase FQDN without trailing dot`);
  if (r.name.split(".").some((l) => l.length === 0 || Buffer.byteLength(l) > 63)) throw new Error(`${what}: bad label`);
  if (!Number.isInteger(r.ttl) || r.ttl < 0 || r.ttl > 0x7fffffff) throw new Error(`${what}: ttl must be a non-negative integer`);
  switch (r.type) {
    case "A":
      if (typeof r.data !== "string" || !isIPv4(r.data)) throw new Error(`${what}: data must be an IPv4 address`);
      return;
    case "AAAA":
      if (typeof r.data !== "string" || !isIPv6(r.data)) throw new Error(`${what}: data must be an IPv6 address`);
      return;
    case "PTR":
    case "CNAME":
      if (typeof r.data !== "string" || r.data === "") throw new Error(`${what}: data must be a name`);
      return;
    case "TXT":
      if (typeof r.data !== "string") throw new Error(`${what}: data must be a string`);
      return;
    case "SRV": {
      const d = r.data;
      if (typeof d !== "object" || typeof d.target !== "string") throw new Error(`${what}: data must be {priority, weight, port, target}`);
      for (const k of ["priority", "weight", "port"] as const) {
        if (!Number.isInteger(d[k]) || d[k] < 0 || d[k] > 0xffff) throw new Error(`${what}: ${k} must be 0..65535`);
      }
      return;
    }
    default:
      throw new Error(`${what}: unsupported type`);
  }
}
