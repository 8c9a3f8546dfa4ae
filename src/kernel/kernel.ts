// Kernel operations Ponton needs, expressed over the Executor port (iproute2 and nftables).
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { NFT_FAMILY, NFT_TABLE } from "../compile/names";
import type { Executor } from "./executor";

export interface LinkInfo {
  name: string;
  master?: string;
  up: boolean;
  kind?: string;
}

/** Counts one chain's rules through a filtered netlink dump (native/ponton-nftcount, built by `npm run build`). */
export const NFTCOUNT_HELPER = process.env.PONTON_NFTCOUNT ?? path.resolve(__dirname, "..", "..", "..", "bin", "ponton-nftcount");

export class Kernel {
  constructor(private readonly exec: Executor) {}

  /** `ip -batch -` in the current namespace, or inside `netns` (a /run/netns name or a path). */
  async ipBatch(lines: string[], netns?: string): Promise<void> {
    if (lines.length === 0) return;
    const input = lines.join("\n") + "\n";
    if (netns === undefined) await this.exec.run("ip", ["-batch", "-"], input);
    else if (netns.includes("/")) await this.exec.run("nsenter", [`--net=${netns}`, "ip", "-batch", "-"], input);
    else await this.exec.run("ip", ["-n", netns, "-batch", "-"], input);
  }

  /** One atomic nftables transaction. */
  async nft(script: string): Promise<void> {
    if (script.trim() === "") return;
    await this.exec.run("nft", ["-f", "-"], script);
  }

  /** Parse-and-check a transaction without committing it (`nft -c`). */
  async nftCheck(script: string): Promise<void> {
    await this.exec.run("nft", ["-c", "-f", "-"], script);
  }

  /**
   * Rules in one chain of our table (0 when the chain or the table is gone). Not `nft list chain`:
   * nft loads every set of the table, elements included, to print one chain (~160 ms at 1,000 policies).
   */
  async ruleCount(chain: string): Promise<number> {
    const { stdout } = await this.exec.run(NFTCOUNT_HELPER, [NFT_FAMILY, NFT_TABLE, chain]);
    return Number(stdout.trim());
  }

  async links(netns?: string): Promise<LinkInfo[]> {
    const args = netns === undefined ? ["-json", "-details", "link", "show"] : ["-n", netns, "-json", "-details", "link", "show"];
    const { stdout } = await this.exec.run("ip", args);
    const raw = JSON.parse(stdout || "[]") as { ifname: string; master?: string; flags?: string[]; linkinfo?: { info_kind?: string } }[];
    return raw.map((l) => ({
      name: l.ifname,
      ...(l.master ? { master: l.master } : {}),
      up: (l.flags ?? []).includes("UP"),
      ...(l.linkinfo?.info_kind ? { kind: l.linkinfo.info_kind } : {}),
    }));
  }

  async addresses(dev: string, netns?: string): Promise<string[]> {
    const args = [...(netns === undefined ? [] : ["-n", netns]), "-json", "addr", "show", "dev", dev];
    const { stdout } = await this.exec.run("ip", args);
    const raw = JSON.parse(stdout || "[]") as { addr_info?: { local: string; prefixlen: number }[] }[];
    return raw.flatMap((l) => (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`));
  }

  /** Named namespaces under /run/netns (read directly: no process needed). */
  async netnsNames(): Promise<Set<string>> {
    try {
      return new Set(await fs.readdir("/run/netns"));
    } catch {
      return new Set();
    }
  }

  /**
   * Writes a sysctl of the namespace this process runs in (/proc/sys/net is per network namespace).
   * `path` uses slashes (net/ipv4/conf/IFNAME/route_localnet) so interface names may hold dots.
   */
  async sysctl(path: string, value: string): Promise<void> {
    await fs.writeFile(`/proc/sys/${path}`, value);
  }

  async readSysctl(path: string): Promise<string> {
    return (await fs.readFile(`/proc/sys/${path}`, "utf8")).trim();
  }
}
