// Writes a workload's resolv.conf and hosts under /etc/netns/NAME: at creation, on connect and
// disconnect (its addresses and its gateway change), and at daemon start (--dns-domain, --ndots and
// the host's resolvers may have changed since).
import { readFile, rm, rmdir } from "node:fs/promises";
import path from "node:path";
import { etcNetnsName } from "./netns-etc";
import { defaultRouteAttachment } from "../../compile";
import { readUpstreams } from "../../dns";
import type { Attachment, Network, Workload } from "../../model/types";
import type { EngineContext } from "../context";
import { renderHosts } from "./hosts-file";
import { parseSearch, renderResolvConf, workloadResolvConf, WRITTEN_BY_PONTON, writeNetnsFiles } from "./resolv-conf";
import { crossesHost } from "../../model/networks/drivers";

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

/**
 * Only namespaces with a name (netns-etc.ts): `ip netns exec` is what bind-mounts these files. In a
 * named namespace we were given, files someone else wrote there are theirs and stay as they are.
 */
export async function writeWorkloadFiles(ctx: EngineContext, w: Workload): Promise<void> {
  const etcName = etcNetnsName(w);
  if (!etcName) return;
  if (w.netnsMode === "path" && !(await ownNetnsFile(ctx.config.netnsEtcDir, etcName, "resolv.conf"))) return;
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
  writeNetnsFiles(ctx.config.netnsEtcDir, etcName, [
    ["resolv.conf", renderResolvConf(resolv)],
    ["hosts", hosts],
  ]);
}

/** Whether FILE under /etc/netns/NAME is missing or one we wrote (our files start with this line). */
async function ownNetnsFile(netnsEtcDir: string, name: string, file: string): Promise<boolean> {
  const text = await readFile(path.join(netnsEtcDir, name, file), "utf8").catch(() => undefined);
  return text === undefined || text.startsWith(WRITTEN_BY_PONTON);
}

/** A workload given a named namespace leaves it: the files we wrote go, the directory if it is then empty. */
export async function removeGivenNetnsFiles(ctx: EngineContext, w: Workload): Promise<void> {
  const etcName = etcNetnsName(w);
  if (w.netnsMode !== "path" || !etcName) return;
  const dir = path.join(ctx.config.netnsEtcDir, etcName);
  for (const f of ["resolv.conf", "hosts"]) if (await ownNetnsFile(ctx.config.netnsEtcDir, etcName, f)) await rm(path.join(dir, f), { force: true });
  await rmdir(dir).catch(() => undefined);
}

async function hostResolvers(file: string): Promise<{ nameservers: string[]; search: string[] }> {
  const ups = await readUpstreams(file);
  const search = parseSearch(await readFile(file, "utf8").catch(() => ""));
  return { nameservers: ups.filter((u) => u.port === 53).map((u) => u.address), search };
}
