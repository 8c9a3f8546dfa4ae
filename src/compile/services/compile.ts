// Pure: services -> verdict-map elements and one small chain per service port and IP family. The
// dispatch is `ip daddr . meta l4proto . th dport vmap @svc_ips` (`ip6 … @svc_ips6` for IPv6 VIPs;
// kube-proxy's nftables design): one lookup per new connection whatever the number of services.
// It jumps to the per-service chain, whose one rule picks an endpoint slot (schedulers.ts), then
// svc_dnat DNATs to that slot's endpoint.
import { serviceExternalIps, serviceRef, serviceVips, type Service, type ServicePort } from "../../model/services/service";
import { familyOfIp, type IpFamily } from "../../model/services/service-families";
import { parseIp } from "../../model/ip";
import { portEndpoints, type Endpoint } from "./endpoints";
import { addrPort, NFT_FAMILIES, type NftFamily } from "./family";
import { schedulerRule } from "./schedulers";

export interface NftChain {
  name: string;
  rules: string[];
}

/** What conntrack cleanup needs to know about one service port (compared between commits). */
export interface ServicePortEndpoints {
  serviceId: string;
  chain: string;
  protocol: string;
  /** Original destinations: the VIP and the external IPs of this chain's family. */
  dsts: string[];
  port: number;
  hostPort?: number;
  /** "ip:targetPort" ("[ip6]:targetPort") of each endpoint (a named target port may differ per endpoint). */
  endpoints: string[];
}

/** Everything one service puts in the table. Unchanged services keep the same object between
 * compiles, so the diff skips them by identity: adding one service or endpoint costs O(1) text. */
export interface NftNamedSet {
  name: string;
  /** Declaration body, e.g. `type ipv4_addr; flags dynamic,timeout; timeout 10800s;` */
  decl: string;
}

export interface ServiceFragment {
  id: string;
  /** Per-endpoint affinity sets (client-ip affinity only). */
  sets?: NftNamedSet[];
  /** The service's store key ("web", "x/web"); fragments are in key order: the diff merges two lists instead of hashing them. */
  name: string;
  chains: NftChain[];
  /** [set name, element] pairs in svc_ips(6), svc_ports(6), svc_noep(6), svc_noep_ports(6). */
  elements: [string, string][];
  endpoints: ServicePortEndpoints[];
}

export const serviceChainName = (s: Service, p: ServicePort, fam: NftFamily = NFT_FAMILIES.IPv4) => `svc_${s.id}_${p.protocol}_${p.port}${fam.suffix}`;

/** The service's families, primary first, each with its destinations (VIP, then external IPs). */
function halves(s: Service): { fam: NftFamily; dsts: string[] }[] {
  const families = serviceVips(s).map(familyOfIp);
  return families.map((f) => ({ fam: NFT_FAMILIES[f], dsts: [...serviceVips(s), ...serviceExternalIps(s)].filter((ip) => familyOfIp(ip) === f) }));
}

/** The service's chains, one per port and family: what its slot blocks are kept for. */
export const serviceChains = (s: Service): string[] => {
  const families = halves(s);
  return s.ports.flatMap((p) => families.map(({ fam }) => serviceChainName(s, p, fam)));
};

/** One service's fragment from its ready endpoints per family, lc/wlc counts and slot bases. */
export function compileService(
  s: Service & { vip: string },
  eps: ReadonlyMap<IpFamily, Endpoint[]>,
  counts: ReadonlyMap<string, number> | undefined,
  bases: ReadonlyMap<string, number | undefined>,
): ServiceFragment {
  const f: ServiceFragment = { id: s.id, name: serviceRef(s), chains: [], elements: [], endpoints: [] };
  for (const p of s.ports) {
    for (const { fam, dsts } of halves(s)) {
      const chain = serviceChainName(s, p, fam);
      const peps = portEndpoints(p, eps.get(fam.family) ?? []);
      const aff = s.affinityTimeoutS ? affinityParts(s, p, peps, chain, fam) : undefined;
      const base = bases.get(chain);
      const sched = schedulerRule(fam, p.protocol, s.scheduler, peps, s.id.slice(0, 8), counts, aff?.chainOf, base === undefined ? undefined : { base, map: fam.eps });
      const rule = sched?.rule;
      f.chains.push({ name: chain, rules: rule ? [...(aff?.lookups ?? []), rule] : [] });
      f.elements.push(...(sched?.elements ?? []));
      if (aff) {
        f.chains.push(...aff.chains);
        (f.sets ??= []).push(...aff.sets);
      }
      for (const d of dsts) {
        f.elements.push([fam.ips, `${d} . ${p.protocol} . ${p.port} : jump ${chain}`]);
        if (!rule) f.elements.push([fam.noep, `${d} . ${p.protocol} . ${p.port}`]);
      }
      if (p.hostPort !== undefined) {
        f.elements.push([fam.ports, `${p.protocol} . ${p.hostPort} : jump ${chain}`]);
        if (!rule) f.elements.push([fam.noepPorts, `${p.protocol} . ${p.hostPort}`]);
      }
      f.endpoints.push({
        serviceId: s.id,
        chain,
        protocol: p.protocol,
        dsts,
        port: p.port,
        ...(p.hostPort !== undefined ? { hostPort: p.hostPort } : {}),
        endpoints: peps.map((e) => addrPort(e.ip, e.port)),
      });
    }
  }
  return f;
}

/**
 * Client-IP affinity as kube-proxy's nftables mode does it: one timeout set of clients per endpoint,
 * checked before the scheduler (linear in this service's endpoints only), and a per-endpoint chain
 * that records the client and DNATs. A client seen within the timeout keeps its endpoint.
 */
function affinityParts(s: Service, p: ServicePort, eps: Endpoint[], chain: string, fam: NftFamily) {
  const tag = (e: Endpoint) => parseIp(e.ip)!.value.toString(16).padStart(fam.ip === "ip" ? 8 : 32, "0");
  const chainOf = (e: Endpoint) => `${chain}_ep_${tag(e)}`;
  // The timeout is in the name: a changed timeout is a new set, never an in-place redefinition.
  const setOf = (e: Endpoint) => `aff_${s.id}_${p.protocol}_${p.port}_${tag(e)}_${s.affinityTimeoutS}`;
  return {
    chainOf,
    lookups: eps.map((e) => `${fam.ip} saddr @${setOf(e)} goto ${chainOf(e)}`),
    chains: eps.map((e) => ({
      name: chainOf(e),
      rules: [`update @${setOf(e)} { ${fam.ip} saddr }`, `meta l4proto ${p.protocol} dnat ${fam.ip} to ${addrPort(e.ip, e.port)}`],
    })),
    sets: eps.map((e) => ({ name: setOf(e), decl: `type ${fam.addrType}; flags dynamic,timeout; timeout ${s.affinityTimeoutS}s;` })),
  };
}
