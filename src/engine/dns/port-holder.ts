// Who holds a port: the socket in /proc/net/{udp,tcp}[6] of our network namespace bound to that
// port on the address or a wildcard, then the process with that socket open. Best effort: a
// process of another user or one gone meanwhile leaves just the port in the message.
import { promises as fs } from "node:fs";
import { isIPv6 } from "node:net";

export interface PortHolder {
  pid: number;
  command: string;
}

/** The address as /proc/net prints it (host byte order words, hex). */
export function procNetAddress(address: string): string {
  if (!isIPv6(address)) {
    const b = address.split(".").map(Number);
    return Buffer.from(b).readUInt32LE(0).toString(16).toUpperCase().padStart(8, "0");
  }
  const words = expand6(address);
  const buf = Buffer.alloc(16);
  words.forEach((w, i) => buf.writeUInt16BE(w, i * 2));
  let out = "";
  for (let i = 0; i < 16; i += 4) out += buf.readUInt32LE(i).toString(16).toUpperCase().padStart(8, "0");
  return out;
}

function expand6(address: string): number[] {
  const [head, tail] = address.split("%")[0].split("::");
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill("0");
  return [...h, ...fill, ...t].map((x) => parseInt(x, 16));
}

/** Socket inodes bound to `port` on `address` or a wildcard, from one /proc/net table's text. */
export function boundInodes(table: string, address: string, port: number): number[] {
  const want = new Set([procNetAddress(address), "00000000", "00000000000000000000000000000000"]);
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const out: number[] = [];
  for (const line of table.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [addr, p] = f[1].split(":");
    // TCP: only listening sockets (state 0A) hold the port against us; UDP has no states that matter.
    if (p === hexPort && want.has(addr) && (f[3] === "0A" || f[3] === "07")) out.push(Number(f[9]));
  }
  return out;
}

export async function findPortHolder(address: string, port: number): Promise<PortHolder | undefined> {
  const v6 = isIPv6(address);
  const inodes = new Set<number>();
  for (const table of v6 ? ["udp6", "tcp6"] : ["udp", "tcp"]) {
    const text = await fs.readFile(`/proc/self/net/${table}`, "utf8").catch(() => "");
    for (const i of boundInodes(text, address, port)) if (i > 0) inodes.add(i);
  }
  if (inodes.size === 0) return undefined;
  const pids = (await fs.readdir("/proc").catch(() => [] as string[])).filter((d) => /^\d+$/.test(d));
  for (const pid of pids) {
    const fds = await fs.readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const link = await fs.readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m && inodes.has(Number(m[1]))) {
        const command = (await fs.readFile(`/proc/${pid}/comm`, "utf8").catch(() => "?")).trim();
        return { pid: Number(pid), command };
      }
    }
  }
  return undefined;
}
