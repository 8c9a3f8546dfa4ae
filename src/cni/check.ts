// CHECK, pure part: the runtime's cached result (prevResult) against what Ponton recorded and what
// the kernel has. The spec makes prevResult the reference: a CHECK without it is an invalid config.
import { CNI_CODE, CniError } from "./errors";

export interface Expected {
  ifname: string;
  sandbox: string;
  mac: string;
  /** The attachment's addresses, bare (no prefix length). */
  addresses: string[];
}

export interface Observed {
  mac?: string;
  /** Addresses on the container interface now, bare. */
  addresses: string[];
}

interface PrevInterface {
  name?: unknown;
  mac?: unknown;
  sandbox?: unknown;
}
interface PrevIp {
  interface?: unknown;
  address?: unknown;
}

/** Every way prevResult, the record and the kernel disagree; empty when CHECK passes. */
export function checkProblems(prev: Record<string, unknown> | undefined, want: Expected, seen: Observed): string[] {
  if (!prev) throw new CniError(CNI_CODE.INVALID_CONFIG, "CHECK needs prevResult (the result the runtime cached from ADD)");
  const interfaces = (Array.isArray(prev.interfaces) ? prev.interfaces : []) as PrevInterface[];
  const index = interfaces.findIndex((i) => i.name === want.ifname && i.sandbox === want.sandbox);
  if (index < 0) return [`prevResult has no interface ${want.ifname} in sandbox ${want.sandbox}`];
  const problems: string[] = [];
  const prevMac = typeof interfaces[index]!.mac === "string" ? (interfaces[index]!.mac as string).toLowerCase() : undefined;
  if (prevMac && prevMac !== want.mac) problems.push(`prevResult gives ${want.ifname} MAC ${prevMac}, Ponton made ${want.mac}`);
  if (seen.mac && seen.mac !== (prevMac ?? want.mac)) problems.push(`${want.ifname} has MAC ${seen.mac}, expected ${prevMac ?? want.mac}`);
  const ips = ((Array.isArray(prev.ips) ? prev.ips : []) as PrevIp[]).filter((i) => i.interface === index && typeof i.address === "string").map((i) => (i.address as string).split("/")[0]!);
  for (const a of ips) {
    if (!want.addresses.includes(a)) problems.push(`prevResult gives ${want.ifname} address ${a}, Ponton recorded ${want.addresses.join(", ") || "none"}`);
    if (!seen.addresses.includes(a)) problems.push(`${want.ifname} in ${want.sandbox} lost its address ${a}`);
  }
  for (const a of want.addresses) if (!ips.includes(a)) problems.push(`prevResult lacks ${want.ifname}'s address ${a}`);
  return problems;
}
