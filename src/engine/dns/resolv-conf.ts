// /etc/netns/NAME/resolv.conf: `ip netns exec` bind-mounts it over /etc/resolv.conf in the workload.
import { promises as fs } from "node:fs";
import path from "node:path";

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

export function renderResolvConf(r: ResolvConf): string {
  const lines = ["# Written by ponton for this workload."];
  if (r.search.length) lines.push(`search ${r.search.join(" ")}`);
  for (const ns of r.nameservers) lines.push(`nameserver ${ns}`);
  if (r.options.length) lines.push(`options ${r.options.join(" ")}`);
  return lines.join("\n") + "\n";
}

export async function writeResolvConf(netnsEtcDir: string, netns: string, r: ResolvConf): Promise<void> {
  const dir = path.join(netnsEtcDir, netns);
  // Readable by the workload's users, writable by root alone, whatever pontond's umask.
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  await fs.chmod(dir, 0o755);
  const tmp = path.join(dir, ".resolv.conf.tmp");
  await fs.writeFile(tmp, renderResolvConf(r), { mode: 0o644 });
  await fs.chmod(tmp, 0o644);
  await fs.rename(tmp, path.join(dir, "resolv.conf"));
}

export async function removeResolvConf(netnsEtcDir: string, netns: string): Promise<void> {
  await fs.rm(path.join(netnsEtcDir, netns), { recursive: true, force: true });
}
