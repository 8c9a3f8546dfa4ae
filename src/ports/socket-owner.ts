// Who holds a host port: /proc/net/{tcp,udp}{,6} (this network namespace) give the socket's inode,
// /proc/PID/fd links name the process. Read only when a publish is refused, so a full scan is fine.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import type { Protocol } from "../model/types";

export interface SocketOwner {
  pid: number;
  command: string;
}

/** Inodes of sockets bound to this local port (TCP: listening only, as a bind conflict needs). */
export function boundInodes(table: string, port: number, tcp: boolean): Set<string> {
  const out = new Set<string>();
  for (const line of table.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const local = f[1]!;
    if (parseInt(local.slice(local.lastIndexOf(":") + 1), 16) !== port) continue;
    if (tcp && f[3] !== "0A") continue;
    if (f[9] !== "0") out.add(f[9]!);
  }
  return out;
}

function read(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

export function socketOwners(protocol: Protocol, port: number, proc = "/proc"): SocketOwner[] {
  const inodes = new Set<string>();
  for (const table of [protocol, `${protocol}6`]) for (const i of boundInodes(read(`${proc}/net/${table}`), port, protocol === "tcp")) inodes.add(i);
  if (inodes.size === 0) return [];
  const owners: SocketOwner[] = [];
  for (const pid of readdirSync(proc).filter((d) => /^\d+$/.test(d))) {
    let fds: string[];
    try {
      fds = readdirSync(`${proc}/${pid}/fd`);
    } catch {
      continue;
    }
    const holds = fds.some((fd) => {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${proc}/${pid}/fd/${fd}`));
        return m !== null && inodes.has(m[1]!);
      } catch {
        return false;
      }
    });
    if (holds) owners.push({ pid: Number(pid), command: read(`${proc}/${pid}/comm`).trim() || "?" });
  }
  return owners;
}

export function describeOwners(owners: SocketOwner[]): string {
  return owners.length ? owners.map((o) => `${o.command} (pid ${o.pid})`).join(", ") : "a process this daemon cannot see";
}
