// Pure: services -> their DNS records, as the Kubernetes DNS specification defines them:
// ClusterIP: A / AAAA (and PTR) of each VIP (a dual-stack service has both), SRV per named port; headless: one A/AAAA per ready endpoint,
// a name per endpoint (<host>.<service>.<ns>.svc.<zone>) with its PTR, and SRV per endpoint for named ports;
// ExternalName: a CNAME.
import type { DnsRecord } from "../../dns";
import { reverseName } from "../../dns";
import { indexEndpoints, selected, type Candidate } from "../../compile/services/endpoints";
import { hasVip, serviceNamespace, serviceVips, targetPortOn, type Service } from "../../model/services/service";
import { familyOfIp } from "../../model/services/service-families";
import type { DesiredState } from "../../model/types";
import { CLUSTER_DOMAIN, DNS_TTL } from "../dns/dns-config";
import type { SharedGroups } from "../dns/dns-sent-views";

/** Kubernetes DNS spec names of a service: <service>.<namespace>.svc.<cluster domain>. */
export function serviceFqdn(name: string, namespace: string): string {
  return `${name.toLowerCase()}.${namespace}.svc.${CLUSTER_DOMAIN}`;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * A workload name as one DNS label of its own: a name that is one already stays; another (it may
 * hold '.', '_' or capitals) is folded and given a hash of the name, so `h.x`, `h_x` and `h-x` stay
 * three names whatever other endpoints exist.
 */
export function endpointLabel(name: string): string {
  if (DNS_LABEL.test(name)) return name;
  const folded = name.toLowerCase().replace(/[^-a-z0-9]/g, "-").slice(0, 55);
  return `${folded}-${fnv1a(name)}`;
}

/** FNV-1a, 32 bits, as 7 base-36 digits: deterministic and pure. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(36).padStart(7, "0");
}

const rec = (name: string, type: DnsRecord["type"], data: DnsRecord["data"]): DnsRecord => ({ name, type, ttl: DNS_TTL, data });

/**
 * Records of a ClusterIP or ExternalName service depend on its (immutable) stored record alone: the
 * same objects come back until it changes, so the DNS sync can skip an unchanged service by identity.
 */
const fixedRecords = new WeakMap<Service, DnsRecord[]>();

/**
 * Each service's records, in the store's order (every view lists them in this order). Headless
 * ones follow their ready endpoints; `unhealthy`: "serviceId/workloadId" failing a health check.
 */
export function serviceGroups(state: DesiredState, unhealthy: ReadonlySet<string> = new Set()): SharedGroups<Service> {
  let index: ReturnType<typeof indexEndpoints> | undefined;
  const fixed = (svc: Service) => !!svc.externalName || hasVip(svc);
  return {
    list: state.services ?? [],
    fixed,
    records(svc) {
      if (fixed(svc)) {
        let records = fixedRecords.get(svc);
        if (!records) fixedRecords.set(svc, (records = fixedServiceRecords(svc)));
        return records;
      }
      const fqdn = serviceFqdn(svc.name, serviceNamespace(svc));
      const ready = selected(svc, (index ??= indexEndpoints(state))).filter((c) => !unhealthy.has(`${svc.id}/${c.workloadId}`));
      return ready.flatMap((c) => headlessEndpoint(svc, fqdn, c));
    },
  };
}

function fixedServiceRecords(svc: Service): DnsRecord[] {
  const fqdn = serviceFqdn(svc.name, serviceNamespace(svc));
  if (svc.externalName) return [rec(fqdn, "CNAME", svc.externalName)];
  const srv = svc.ports
    .filter((p) => p.name)
    .map((p) => rec(`_${p.name}._${p.protocol}.${fqdn}`, "SRV", { priority: 0, weight: 100, port: p.port, target: fqdn }));
  const vips = serviceVips(svc).flatMap((v) => [rec(fqdn, familyOfIp(v) === "IPv6" ? "AAAA" : "A", v), rec(reverseName(v), "PTR", fqdn)]);
  return [...vips, ...srv];
}

function headlessEndpoint(svc: Service, fqdn: string, c: Candidate): DnsRecord[] {
  const host = `${endpointLabel(c.name)}.${fqdn}`;
  const out = c.ip ? [rec(fqdn, "A", c.ip), rec(host, "A", c.ip), rec(reverseName(c.ip), "PTR", host)] : [];
  if (c.ip6) out.push(rec(fqdn, "AAAA", c.ip6), rec(host, "AAAA", c.ip6), rec(reverseName(c.ip6), "PTR", host));
  for (const p of svc.ports) {
    const port = p.name ? targetPortOn(p, c.exposes) : undefined;
    if (port !== undefined) out.push(rec(`_${p.name}._${p.protocol}.${fqdn}`, "SRV", { priority: 0, weight: 100, port, target: host }));
  }
  return out;
}
