// Service ranges (one per IP family) and VIP assignment: a VIP is the one asked for, the one the
// service's previous version had in that family, or the next free one of the family's range.
import { EngineError } from "../../errors";
import { cidrContainsText, formatIp, lastAddress, parseCidr, type Cidr } from "../../model/ip";
import { hasVip, serviceVips, type Service } from "../../model/services/service";
import { familyOfIp, type IpFamily, type Resolved } from "../../model/services/service-families";

/** Where IPv4 VIPs come from (kube's default service CIDR is in 10.96.0.0/12). */
export const serviceRange = () => process.env.PONTON_SERVICE_RANGE ?? "10.96.0.0/16";

/** Where IPv6 VIPs come from (a ULA /112, as Kubernetes' dual-stack examples); "none" turns IPv6 services off. */
export function serviceRange6(): string | undefined {
  const r = process.env.PONTON_SERVICE_RANGE6 ?? "fd00:10:96::/112";
  return r === "" || r === "none" ? undefined : r;
}

const rangeOf = (f: IpFamily) => (f === "IPv4" ? serviceRange() : serviceRange6());

export const availableFamilies = (): ReadonlySet<IpFamily> => new Set<IpFamily>(serviceRange6() ? ["IPv4", "IPv6"] : ["IPv4"]);

/** The families a stored service has (what an update or apply keeps unless asked otherwise). */
export function familiesOf(s: Service | undefined): Resolved | undefined {
  if (!s || !hasVip(s)) return undefined;
  return { policy: s.ipFamilyPolicy ?? "SingleStack", families: serviceVips(s).map(familyOfIp) };
}

/** The VIPs already held, as one operation sees them (stored services and those it has built). */
export interface VipSpace {
  taken(ip: string): boolean;
  /** Where the search of a range may start: every address of the range before it is held. */
  start(range: Cidr): bigint;
  /** `value` of `range` was handed out. */
  took(range: Cidr, value: bigint): void;
}

function allocate(f: IpFamily, space: VipSpace): string {
  const range = rangeOf(f)!;
  const c = parseCidr(range);
  const envName = f === "IPv4" ? "PONTON_SERVICE_RANGE" : "PONTON_SERVICE_RANGE6";
  if (c.family !== (f === "IPv4" ? 4 : 6)) throw new EngineError("INVALID_CIDR", `${envName} ${range} is not an ${f} range`);
  // Skip the network address; the range is a pool of single addresses, nothing routes to it.
  // The lowest free address, found from where the held ones end (not by a scan of every VIP).
  const from = space.start(c);
  for (let v = from > c.network ? from : c.network + 1n; v <= lastAddress(c); v++) {
    const ip = formatIp(c.family, v);
    if (space.taken(ip)) continue;
    space.took(c, v);
    return ip;
  }
  throw new EngineError("POOL_EXHAUSTED", `no free VIP in the service range ${range}`, { hint: `remove services or set a larger ${envName}` });
}

/** One VIP per family, in the families' order (the primary first). */
export function assignVips(families: IpFamily[], given: string[], base: Service | undefined, space: VipSpace): string[] {
  const kept = base ? serviceVips(base) : [];
  const inFamily = (list: string[], f: IpFamily) => list.find((v) => familyOfIp(v) === f);
  return families.map((f) => inFamily(given, f) ?? inFamily(kept, f) ?? allocate(f, space));
}

/** A VIP asked for must lie in its family's range (it is a pool: nothing else routes to it). */
export function checkVipInRange(vip: string): void {
  const range = rangeOf(familyOfIp(vip));
  if (range && !cidrContainsText(parseCidr(range), vip)) {
    throw new EngineError("ADDRESS_OUT_OF_SUBNET", `VIP ${vip} is outside the service range ${range}`, { hint: "pick a VIP inside the range, or omit --vip" });
  }
}
