// Kernel operations Ponton needs, expressed over the Executor port (iproute2 and nftables).
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { NFT_TABLE } from "../compile/names";
import { renderOps, type NftOp } from "../compile/nft-ops";
import type { Executor } from "./executor";
import { encodeOps, NftBatchWriter } from "./nft-netlink";
import { OwnCommits } from "./own-commits";

export interface LinkInfo {
  name: string;
  master?: string;
  up: boolean;
  kind?: string;
  mtu?: number;
}

/** A native helper in bin/ (built by `npm run build`), or where the environment variable says. */
const helper = (name: string, env: string) => process.env[env] ?? path.resolve(__dirname, "..", "..", "..", "bin", name);

/** Carries nf_tables batches encoded by pontond (native/ponton-nftbatch). */
export const NFTBATCH_HELPER = helper("ponton-nftbatch", "PONTON_NFTBATCH");

/** Writes neighbour entries without iproute2's dump of every link (native/ponton-neigh). */
export const NEIGH_HELPER = helper("ponton-neigh", "PONTON_NEIGH");

/** `neigh replace` / `neigh del` lines (ponton-neigh's syntax); `neigh flush` stays with ip. */
const isNeighbourWrite = (line: string) => line.startsWith("neigh replace ") || line.startsWith("neigh del ");

/** The batch cut into consecutive runs of neighbour writes and of everything else, in order. */
export function neighbourRuns(lines: readonly string[]): { neigh: boolean; lines: string[] }[] {
  const runs: { neigh: boolean; lines: string[] }[] = [];
  for (const line of lines) {
    const neigh = isNeighbourWrite(line);
    const last = runs[runs.length - 1];
    if (last && last.neigh === neigh) last.lines.push(line);
    else runs.push({ neigh, lines: [line] });
  }
  return runs;
}

/** `ip -json -details link show` output as LinkInfo. */
function linkInfos(stdout: string): LinkInfo[] {
  const raw = JSON.parse(stdout || "[]") as { ifname: string; master?: string; flags?: string[]; mtu?: number; linkinfo?: { info_kind?: string } }[];
  return raw.map((l) => ({
    name: l.ifname,
    ...(l.master ? { master: l.master } : {}),
    up: (l.flags ?? []).includes("UP"),
    ...(l.linkinfo?.info_kind ? { kind: l.linkinfo.info_kind } : {}),
    ...(l.mtu ? { mtu: l.mtu } : {}),
  }));
}

export class Kernel {
  private readonly batches = new NftBatchWriter(NFTBATCH_HELPER);
  private seq = 1;
  /** Which nf_tables commits were ours (the watcher reports each commit's PID). */
  readonly own = new OwnCommits();

  constructor(private readonly exec: Executor) {}

  /** `ip -batch -` in the current namespace, or inside `netns` (a /run/netns name or a path). */
  async ipBatch(lines: string[], netns?: string): Promise<void> {
    if (lines.length === 0) return;
    const input = lines.join("\n") + "\n";
    if (netns === undefined) {
      // The host's namespace, where a link dump is O(workloads²): neighbour lines go to ponton-neigh.
      for (const run of neighbourRuns(lines)) {
        const text = run.lines.join("\n") + "\n";
        if (run.neigh) await this.exec.run(NEIGH_HELPER, [], text);
        else await this.exec.run("ip", ["-batch", "-"], text);
      }
    } else if (netns.includes("/")) await this.exec.run("nsenter", [`--net=${netns}`, "ip", "-batch", "-"], input);
    // Not `ip -n`: it also unshares a mount namespace (to remount /sys), a copy of every mount of the
    // machine, one per named namespace, at each call: 5–10× the wall time at a few thousand workloads.
    else await this.exec.run("nsenter", [`--net=/run/netns/${netns}`, "ip", "-batch", "-"], input);
  }

  /** One atomic nftables transaction. */
  async nft(script: string): Promise<void> {
    if (script.trim() === "") return;
    await this.own.during(async () => {
      const { pid } = await this.exec.run("nft", ["-f", "-"], script);
      if (pid) this.own.add(pid);
    });
  }

  /**
   * One incremental transaction on our table. Netlink from a long-lived writer when every operation
   * is of a kind it encodes (no `nft` process, no cache dump of every chain); `nft -f` otherwise.
   * Either way all of it applies or none. Returns the path taken.
   */
  async nftOps(ops: NftOp[]): Promise<"netlink" | "nft"> {
    const firstSeq = this.seq;
    const encoded = encodeOps(NFT_TABLE, ops, firstSeq);
    if (!encoded) {
      await this.nft(renderOps(ops));
      return "nft";
    }
    this.seq += encoded.messages + 2;
    if (this.seq > 0x7fff0000) this.seq = 1;
    await this.own.during(async () => {
      const sent = this.batches.send(encoded.bytes, firstSeq);
      if (this.batches.pid) this.own.add(this.batches.pid);
      await sent;
    });
    return "netlink";
  }

  /** Ends long-lived helpers (daemon shutdown). */
  close(): void {
    this.batches.close();
  }

  /** Parse-and-check a transaction without committing it (`nft -c`). */
  async nftCheck(script: string): Promise<void> {
    await this.exec.run("nft", ["-c", "-f", "-"], script);
  }

  async links(netns?: string): Promise<LinkInfo[]> {
    const args = netns === undefined ? ["-json", "-details", "link", "show"] : ["-n", netns, "-json", "-details", "link", "show"];
    return linkInfos((await this.exec.run("ip", args)).stdout);
  }

  /** One host link, read alone (a dump of every link is O(links × namespaces) in the kernel); undefined when missing. */
  async link(name: string): Promise<LinkInfo | undefined> {
    try {
      return linkInfos((await this.exec.run("ip", ["-json", "-details", "link", "show", "dev", name])).stdout)[0];
    } catch (e) {
      if (/does not exist|Cannot find device/.test(String((e as Error).message))) return undefined;
      throw e;
    }
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

  /** One named namespace: a creation asks this, and reading all of /run/netns grew with every workload. */
  async netnsExists(name: string): Promise<boolean> {
    return fs.access(`/run/netns/${name}`).then(
      () => true,
      () => false,
    );
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
