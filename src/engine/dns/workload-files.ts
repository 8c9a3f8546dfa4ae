// Writes a workload's resolv.conf and hosts under /etc/netns/NAME: at creation, on connect and
// disconnect (its addresses and its gateway change), and at daemon start (--dns-domain, --ndots and
// the host's resolvers may have changed since).
import { readFile } from "node:fs/promises";
import { defaultRouteAttachment } from "../../compile";
import { readUpstreams } from "../../dns";
import type { Attachment, Network, Workload } from "../../model/types";
import type { EngineContext } from "../context";
import { renderHosts } from "./hosts-file";
import { parseSearch, renderResolvConf, workloadResolvConf, writeNetnsFile } from "./resolv-conf";
import { crossesHost } from "../../model/drivers";

/**
 * The attachment whose gateway a workload asks the daemon's DNS on: that of its default route (no
 * DNAT, so no conntrack race between parallel A and AAAA queries), so a workload on an internal
 * network and another asks the other's (open) listener. Bridge networks only: a macvlan/ipvlan
 * gateway is the segment's router. Undefined: no network, no nameserver.
 */
export function embeddedDnsVia(atts: Attachment[], networks: ReadonlyMap<string, Network>): Attachment | undefined {
  const bridged = atts.filter((a) => crossesHost(networks.get(a.networkId)));
  return defaultRouteAttachment(bridged, networks as Map<string, Network>) ?? bridged[0];
}

/** Only owned namespaces: `ip netns exec` is what bind-mounts these files. */
export async function writeWorkloadFiles(ctx: EngineContext, w: Workload): Promise<void> {
  if (w.netnsMode !== "owned") return;
  const networks = new Map(ctx.store.networks().map((n) => [n.id, n]));
  const atts = ctx.store.attachmentsOf(w.id);
  const via = embeddedDnsVia(atts, networks);
  const n = via ? networks.get(via.networkId) : undefined;
  const embedded = ctx.config.dnsPort === 53 ? (via?.ip4 ? n?.gateway4 : n?.gateway6) : undefined;
  const host = w.dns?.policy === "Default" ? await hostResolvers(ctx.config.hostResolvConf) : { nameservers: [], search: [] };
  const resolv = workloadResolvConf({ embedded, domain: ctx.config.dnsDomain, namespace: w.namespace, ndots: ctx.config.ndots, host, dns: w.dns });
  const hosts = renderHosts({
    hostname: w.hostname ?? w.name,
    names: [`${w.name}.${ctx.config.dnsDomain}`, w.name],
    addresses: atts.flatMap((a) => [a.ip4, a.ip6].filter((ip): ip is string => !!ip)),
    extra: w.extraHosts ?? [],
  });
  await Promise.all([
    writeNetnsFile(ctx.config.netnsEtcDir, w.netns, "resolv.conf", renderResolvConf(resolv)),
    writeNetnsFile(ctx.config.netnsEtcDir, w.netns, "hosts", hosts),
  ]);
}

async function hostResolvers(file: string): Promise<{ nameservers: string[]; search: string[] }> {
  const ups = await readUpstreams(file);
  const search = parseSearch(await readFile(file, "utf8").catch(() => ""));
  return { nameservers: ups.filter((u) => u.port === 53).map((u) => u.address), search };
}
