// A workload's resolv.conf: what it says (pure) and where it goes. `ip netns exec` bind-mounts
// every file of /etc/netns/NAME over /etc, so resolv.conf and hosts written there are what the
// workload's command reads.
import { promises as fs } from "node:fs";
import path from "node:path";
import type { WorkloadDns } from "../../model/types";
import { searchDomains } from "./dns-records";
import { clusterFirst } from "../../model/workloads/workload-dns";

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

/** glibc reads three nameservers at most (MAXNS). */
export const MAX_NAMESERVERS = 3;

export interface ResolvInputs {
  /** The embedded DNS on the workload's gateway; undefined when off or the workload has no network. */
  embedded?: string;
  domain: string;
  namespace?: string;
  ndots: number;
  /** The host's resolvers and search list, for dnsPolicy Default. */
  host: { nameservers: string[]; search: string[] };
  dns?: WorkloadDns;
}

/**
 * Kubernetes' rules: the policy gives the base, dnsConfig adds to it; options with one key are one
 * option. Under ClusterFirst the workload's nameservers are the embedded DNS's upstreams for it
 * (Docker's --dns), not lines here, unless the embedded DNS is off.
 */
export function workloadResolvConf(i: ResolvInputs): ResolvConf {
  const policy = clusterFirst(i.dns) ? "ClusterFirst" : i.dns!.policy;
  const extra = policy === "ClusterFirst" && i.embedded ? [] : (i.dns?.nameservers ?? []);
  const base: ResolvConf =
    policy === "None"
      ? { nameservers: [], search: [], options: [] }
      : policy === "Default"
        ? { nameservers: [...i.host.nameservers], search: [...i.host.search], options: [] }
        : { nameservers: i.embedded ? [i.embedded] : [], search: searchDomains(i.domain, i.namespace), options: [`ndots:${i.ndots}`] };
  const options = new Map(base.options.map((o) => [optionKey(o), o]));
  for (const o of i.dns?.options ?? []) options.set(optionKey(o), o);
  return {
    nameservers: [...new Set([...base.nameservers, ...extra])].slice(0, MAX_NAMESERVERS),
    search: [...new Set([...base.search, ...(i.dns?.search ?? []).map((s) => s.toLowerCase())])],
    options: [...options.values()],
  };
}

const optionKey = (o: string) => o.split(":")[0]!;

/** The host's `search` (or `domain`) list. */
export function parseSearch(text: string): string[] {
  let out: string[] = [];
  for (const line of text.split("\n")) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key === "search" || key === "domain") out = rest;
  }
  return out;
}

/** The first line of every file Ponton writes under /etc/netns (how it tells its own from others'). */
export const WRITTEN_BY_PONTON = "# Written by ponton for this workload.";

export function renderResolvConf(r: ResolvConf): string {
  const lines = [WRITTEN_BY_PONTON];
  if (r.search.length) lines.push(`search ${r.search.join(" ")}`);
  for (const ns of r.nameservers) lines.push(`nameserver ${ns}`);
  if (r.options.length) lines.push(`options ${r.options.join(" ")}`);
  return lines.join("\n") + "\n";
}

/**
 * Rewrites /etc/netns/NETNS/FILE in place, as Docker rewrites a container's hosts: a running command
 * holds a bind mount of this inode, so a new file put in by rename would never reach it.
 */
export async function writeNetnsFile(netnsEtcDir: string, netns: string, name: string, text: string): Promise<void> {
  const dir = path.join(netnsEtcDir, netns);
  // Readable by the workload's users, writable by root alone, whatever pontond's umask.
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  await fs.chmod(dir, 0o755);
  const file = path.join(dir, name);
  await fs.writeFile(file, text, { mode: 0o644 });
  await fs.chmod(file, 0o644);
}

export async function removeNetnsFiles(netnsEtcDir: string, netns: string): Promise<void> {
  await fs.rm(path.join(netnsEtcDir, netns), { recursive: true, force: true });
}
