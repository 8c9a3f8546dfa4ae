// Which IP families a service has, the way Kubernetes decides it (ipFamilyPolicy, ipFamilies,
// clusterIPs): IPv4 single stack by default, the primary family first. Pure: what the daemon can
// serve (is there an IPv6 service range?) and what an older version held are passed in.
import { EngineError } from "../../errors";
import { parseIp } from "../ip";

export type IpFamily = "IPv4" | "IPv6";
export const IP_FAMILY_POLICIES = ["SingleStack", "PreferDualStack", "RequireDualStack"] as const;
export type IpFamilyPolicy = (typeof IP_FAMILY_POLICIES)[number];

export const familyOfIp = (ip: string): IpFamily => (parseIp(ip)?.family === 6 ? "IPv6" : "IPv4");
const other = (f: IpFamily): IpFamily => (f === "IPv4" ? "IPv6" : "IPv4");

const bad = (msg: string, hint?: string) => new EngineError("INVALID_ARGUMENT", msg, hint ? { hint } : {});

/** `--ip-family`: ipv4, ipv6, dual (IPv4 primary), an ordered pair like ipv6,ipv4, or prefer-dual. */
export function parseIpFamilyFlag(text: string): { ipFamilies: IpFamily[]; ipFamilyPolicy: IpFamilyPolicy } {
  const t = text.trim().toLowerCase();
  if (t === "prefer-dual") return { ipFamilies: ["IPv4", "IPv6"], ipFamilyPolicy: "PreferDualStack" };
  const words = t === "dual" ? ["ipv4", "ipv6"] : t.split(",").map((w) => w.trim());
  const fams = words.map((w) => (w === "ipv4" ? "IPv4" : w === "ipv6" ? "IPv6" : undefined));
  if (fams.some((f) => !f) || fams.length > 2 || (fams.length === 2 && fams[0] === fams[1])) {
    throw bad(`invalid --ip-family '${text}'`, "use ipv4, ipv6, dual (IPv4 primary), ipv6,ipv4 (IPv6 primary) or prefer-dual (IPv6 when available)");
  }
  return { ipFamilies: fams as IpFamily[], ipFamilyPolicy: fams.length === 2 ? "RequireDualStack" : "SingleStack" };
}

export interface FamilyRequest {
  ipFamilyPolicy?: IpFamilyPolicy;
  ipFamilies?: IpFamily[];
  /** Addresses asked for (canonical), primary first. */
  vips: string[];
}

/** Checked shape of the request fields (the API and YAML hand us anything). */
export function checkFamilyRequest(policy: unknown, families: unknown, vips: string[]): FamilyRequest {
  if (policy !== undefined && !IP_FAMILY_POLICIES.includes(policy as IpFamilyPolicy)) throw bad(`unknown ipFamilyPolicy '${String(policy)}'`, `use one of ${IP_FAMILY_POLICIES.join(", ")}`);
  if (families !== undefined && (!Array.isArray(families) || families.some((f) => f !== "IPv4" && f !== "IPv6"))) throw bad("ipFamilies must be a list of IPv4 and IPv6");
  const fams = families as IpFamily[] | undefined;
  if (fams && (fams.length > 2 || new Set(fams).size !== fams.length)) throw bad("ipFamilies lists each family at most once");
  if (vips.length > 2 || new Set(vips.map(familyOfIp)).size !== vips.length) throw bad("give at most one VIP per family (one IPv4, one IPv6)");
  const two = (fams?.length ?? 0) === 2 || vips.length === 2;
  if (policy === "SingleStack" && two) throw bad("a SingleStack service has one family and one VIP", "use --ip-family dual (ipFamilyPolicy RequireDualStack or PreferDualStack)");
  for (const v of fams ? vips : []) {
    if (!fams!.includes(familyOfIp(v))) throw bad(`VIP ${v} is ${familyOfIp(v)}, a family ipFamilies (${fams!.join(", ")}) does not list`, "add the family (--ip-family dual) or give a VIP of the service's family");
  }
  if (fams?.length === 2 && vips.length === 2 && familyOfIp(vips[0]!) !== fams[0]) throw bad("list the VIPs in the order of ipFamilies (the primary family first)");
  return { ...(policy !== undefined ? { ipFamilyPolicy: policy as IpFamilyPolicy } : {}), ...(fams ? { ipFamilies: fams } : {}), vips };
}

export interface Resolved {
  policy: IpFamilyPolicy;
  families: IpFamily[];
}

/**
 * The families a service gets. Nothing asked: what its previous version had (update, apply), else
 * IPv4 single stack. Two families or VIPs without a policy mean RequireDualStack (Kubernetes).
 * PreferDualStack drops a family the daemon cannot serve; asking for one outright is an error.
 */
export function resolveFamilies(req: FamilyRequest, available: ReadonlySet<IpFamily>, base?: Resolved): Resolved {
  const asked = req.ipFamilyPolicy !== undefined || req.ipFamilies !== undefined || req.vips.length > 0;
  if (!asked && base) return base;
  const two = (req.ipFamilies?.length ?? 0) === 2 || req.vips.length === 2;
  const policy = req.ipFamilyPolicy ?? (two ? "RequireDualStack" : (base?.policy ?? "SingleStack"));
  const primary = req.ipFamilies?.[0] ?? (req.vips[0] ? familyOfIp(req.vips[0]) : (base?.families[0] ?? "IPv4"));
  const wanted: IpFamily[] = policy === "SingleStack" ? [primary] : [primary, req.ipFamilies?.[1] ?? other(primary)];
  const families = wanted.filter((f, i) => available.has(f) || !(policy === "PreferDualStack" && i > 0));
  for (const f of families) {
    if (!available.has(f)) {
      throw new EngineError("FAMILY_UNAVAILABLE", `${f} service VIPs are not available: no ${f} service range is configured`, {
        hint: f === "IPv6" ? "set PONTON_SERVICE_RANGE6 (e.g. fd00:10:96::/112) on the daemon, or use --ip-family ipv4" : "set PONTON_SERVICE_RANGE on the daemon",
      });
    }
  }
  for (const v of req.vips) {
    if (!families.includes(familyOfIp(v))) throw new EngineError("FAMILY_UNAVAILABLE", `VIP ${v} is ${familyOfIp(v)} but the service's families are ${families.join(", ")}`, { hint: "add --ip-family dual, or give a VIP of the service's family" });
  }
  return { policy, families };
}
