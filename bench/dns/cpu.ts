// CPU time a process (all its threads) has used, from /proc/PID/stat: at 1,000 qps every query
// wakes the server from idle, so CPU per query is a noise-independent measure of that path.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";

export interface CpuTime {
  userUs: number;
  sysUs: number;
}

const TICK_US = 1e6 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

export function cpuTime(pid: number): CpuTime {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may hold spaces: utime is the 14th
  // field of the line, stime the 15th.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { userUs: Number(rest[11]) * TICK_US, sysUs: Number(rest[12]) * TICK_US };
}

export function cpuSince(pid: number, before: CpuTime): CpuTime {
  const now = cpuTime(pid);
  return { userUs: now.userUs - before.userUs, sysUs: now.sysUs - before.sysUs };
}
