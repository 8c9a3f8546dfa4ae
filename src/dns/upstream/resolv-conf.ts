// Where forwarded queries go when the engine has no explicit list: the host's resolv.conf,
// following systemd-resolved's stub to the real servers (the CoreDNS forwarding-loop lesson:
// never forward to an address that leads back to ourselves).
import { promises as fs } from "node:fs";
import { isIP } from "node:net";

export interface UpstreamAddress {
  address: string;
  port: number;
}

export const SYSTEMD_RESOLVED_STUB = "127.0.0.53";
export const SYSTEMD_RESOLV_CONF = "/run/systemd/resolve/resolv.conf";

/** Nameserver addresses in file order; comments, junk and non-IP entries are skipped. */
export function parseNameservers(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*nameserver\s+([^\s#;]+)/.exec(line);
    if (m && isIP(m[1].split("%")[0]) && !out.includes(m[1])) out.push(m[1]);
  }
  return out;
}

export function isLoopback(address: string): boolean {
  return address.startsWith("127.") || address === "::1" || address.toLowerCase().startsWith("::ffff:127.");
}

const WILDCARDS = new Set(["0.0.0.0", "::", "::0"]);

/**
 * True when sending to `upstream` reaches one of our own listeners: same port and either the same
 * address, or a wildcard listener (which owns every local address) and a loopback upstream.
 */
export function wouldLoop(upstream: UpstreamAddress, self: readonly UpstreamAddress[]): boolean {
  return self.some(
    (l) => l.port === upstream.port && (l.address === upstream.address || (WILDCARDS.has(l.address) && isLoopback(upstream.address))),
  );
}

export interface ReadUpstreamsOptions {
  /** Where systemd-resolved lists the real servers. */
  systemdResolvConf?: string;
  /** Our listeners: upstreams that would loop back to them are dropped. */
  self?: readonly UpstreamAddress[];
}

export async function readUpstreams(resolvConfPath = "/etc/resolv.conf", opts: ReadUpstreamsOptions = {}): Promise<UpstreamAddress[]> {
  let servers = parseNameservers(await readOrEmpty(resolvConfPath));
  if (servers.length === 1 && servers[0] === SYSTEMD_RESOLVED_STUB) {
    const real = parseNameservers(await readOrEmpty(opts.systemdResolvConf ?? SYSTEMD_RESOLV_CONF));
    if (real.length) servers = real;
  }
  return servers.map((address) => ({ address, port: 53 })).filter((u) => !wouldLoop(u, opts.self ?? []));
}

async function readOrEmpty(path: string): Promise<string> {
  try {
    return await fs.readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw new Error(`read upstream resolvers from ${path}: ${(err as Error).message}`);
  }
}
