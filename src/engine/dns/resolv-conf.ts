// A workload's resolv.conf: what it says (pure) and where it goes. `ip netns exec` bind-mounts
// every file of /etc/netns/NAME over /etc, so resolv.conf and hosts written there are what the
// workload's command reads.
import { chmodSync, closeSync, fchmodSync, mkdirSync, openSync, promises as fs, readFileSync, writeFileSync } from "node:fs";
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

/** Readable by the workload's users, writable by root alone. */
export const NETNS_DIR_MODE = 0o755;
export const NETNS_FILE_MODE = 0o644;

/**
 * Rewrites FILEs of /etc/netns/NETNS in place, as Docker rewrites a container's hosts: a running
 * command holds a bind mount of this inode, so a new file put in by rename would never reach it.
 * Synchronous, one mkdir and an open, a write and a close per file: the same calls through the
 * thread pool, with a mkdir and two chmods per file, were ~7% of pontond's time per creation. The
 * modes are exact whatever pontond's umask: set again (chmod, fchmod) unless the directory is new
 * and the umask leaves them as asked.
 */
export function writeNetnsFiles(netnsEtcDir: string, netns: string, files: ReadonlyArray<readonly [name: string, text: string]>): void {
  const dir = path.join(netnsEtcDir, netns);
  const exact = makeDir(dir) && umaskKeeps(NETNS_DIR_MODE | NETNS_FILE_MODE);
  if (!exact) chmodSync(dir, NETNS_DIR_MODE);
  for (const [name, text] of files) {
    const fd = openSync(path.join(dir, name), "w", NETNS_FILE_MODE);
    try {
      if (!exact) fchmodSync(fd, NETNS_FILE_MODE);
      writeFileSync(fd, text);
    } finally {
      closeSync(fd);
    }
  }
}

/** Makes `dir` (its parent only when missing: it is there after the first); whether it was made now. */
function makeDir(dir: string): boolean {
  try {
    mkdirSync(dir, NETNS_DIR_MODE);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code !== "ENOENT") throw e;
  }
  mkdirSync(path.dirname(dir), { recursive: true, mode: NETNS_DIR_MODE });
  mkdirSync(dir, NETNS_DIR_MODE);
  return true;
}

/**
 * Whether pontond's umask clears none of these mode bits. Read from /proc (process.umask() without
 * an argument writes the umask, racing other threads); pontond narrows it only around a bind and
 * puts it back (daemon/socket-access.ts). Unknown: no, the modes are set explicitly.
 */
export function umaskKeeps(mode: number): boolean {
  umask ??= readUmask();
  return umask !== null && (umask & mode) === 0;
}

let umask: number | null | undefined;

function readUmask(): number | null {
  try {
    const m = /^Umask:\s*([0-7]+)$/m.exec(readFileSync("/proc/self/status", "utf8"));
    return m ? parseInt(m[1]!, 8) : null;
  } catch {
    return null;
  }
}

export async function removeNetnsFiles(netnsEtcDir: string, netns: string): Promise<void> {
  await fs.rm(path.join(netnsEtcDir, netns), { recursive: true, force: true });
}
