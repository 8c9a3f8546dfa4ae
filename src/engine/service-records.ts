// Pure: services -> their DNS records, as the Kubernetes DNS specification defines them:
// ClusterIP: A / AAAA (and PTR) of each VIP (a dual-stack service has both), SRV per named port; headless: one A/AAAA per ready endpoint,
// a name per endpoint (<workload>.<service>.<ns>.svc.<zone>) and SRV per endpoint for named ports;
// ExternalName: a CNAME.
import type { DnsRecord } from "../dns";
import { reverseName } from "../dns";
import { indexEndpoints, selected, type Candidate } from "../compile/services/endpoints";
import { hasVip, serviceNamespace, serviceVips, targetPortOn, type Service } from "../model/service";
import { familyOfIp } from "../model/service-families";
import type { DesiredState } from "../model/types";
import { CLUSTER_DOMAIN, DNS_TTL } from "./dns-config";

/** Kubernetes DNS spec names of a service: <service>.<namespace>.svc.<cluster domain>. */
export function serviceFqdn(name: string, namespace: string): string {
  return `${name.toLowerCase()}.${namespace}.svc.${CLUSTER_DOMAIN}`;
}

/** A workload name as one DNS label (names may hold '.' and '_'). */
const hostLabel = (name: string) => name.toLowerCase().replace(/[._]/g, "-");

const rec = (name: string, type: DnsRecord["type"], data: DnsRecord["data"]): DnsRecord => ({ name, type, ttl: DNS_TTL, data });

/**
 * Records of a ClusterIP or ExternalName service depend on its (immutable) stored record alone: the
 * same objects come back until it changes, so the DNS sync can tell an unchanged view by identity.
 */
const fixedRecords = new WeakMap<Service, DnsRecord[]>();

/** The last answer when no service is headless: the same records while the same records are stored. */
let lastFixed: { services: readonly Service[]; records: DnsRecord[] } | undefined;

/** `unhealthy`: "serviceId/workloadId" of endpoints failing their health check (not ready). */
export function serviceRecords(state: DesiredState, unhealthy: ReadonlySet<string> = new Set()): DnsRecord[] {
  const services = state.services ?? [];
  const headless = services.some((s) => s.headless);
  if (!headless && lastFixed && lastFixed.services.length === services.length && lastFixed.services.every((s, i) => s === services[i])) return lastFixed.records;
  const index = headless ? indexEndpoints(state) : undefined;
  const records = services.flatMap((svc) => {
    if (svc.externalName || hasVip(svc)) {
      let records = fixedRecords.get(svc);
      if (!records) fixedRecords.set(svc, (records = fixedServiceRecords(svc)));
      return records;
    }
    const fqdn = serviceFqdn(svc.name, serviceNamespace(svc));
    const ready = selected(svc, index!).filter((c) => !unhealthy.has(`${svc.id}/${c.workloadId}`));
    return ready.flatMap((c) => headlessEndpoint(svc, fqdn, c));
  });
  lastFixed = headless ? undefined : { services, records };
  return records;
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
  const host = `${hostLabel(c.name)}.${fqdn}`;
  const out = [rec(fqdn, "A", c.ip), rec(host, "A", c.ip)];
  if (c.ip6) out.push(rec(fqdn, "AAAA", c.ip6), rec(host, "AAAA", c.ip6));
  for (const p of svc.ports) {
    const port = p.name ? targetPortOn(p, c.exposes) : undefined;
    if (port !== undefined) out.push(rec(`_${p.name}._${p.protocol}.${fqdn}`, "SRV", { priority: 0, weight: 100, port, target: host }));
  }
  return out;
}
