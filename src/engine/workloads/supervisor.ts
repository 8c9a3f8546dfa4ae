// Runs workload commands inside their namespace, detached so they outlive a daemon restart,
// with their output kept in a log file; restarts them by policy.
import { etcNetnsName } from "../dns/netns-etc";
import { spawn } from "node:child_process";
import { closeSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import type { Workload } from "../../model/types";
import { openPrivate, privateDir } from "../files/private-files";

export interface ProcessInfo {
  pid: number;
  pidStart: number;
}

export interface ExitEvent {
  workloadId: string;
  pid: number;
  exitCode?: number;
}

/** Start time of a PID (field 22 of /proc/PID/stat), or undefined when it is gone. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z") return undefined; // a zombie has exited
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

export function isOurProcess(pid: number | undefined, pidStart: number | undefined): boolean {
  return pid !== undefined && pidStart !== undefined && processStartTime(pid) === pidStart;
}

/**
 * A UTS namespace of its own, named as the workload (or its --hostname), as a container has; every
 * step execs the next, so the PID we record is the command's.
 */
function withHostname(w: Workload): string[] {
  return ["unshare", "--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"', w.hostname ?? w.name, ...w.command];
}

export function commandLine(w: Workload): [string, string[]] {
  switch (w.netnsMode) {
    case "owned":
      return ["ip", ["netns", "exec", w.netns, ...withHostname(w)]];
    case "path": {
      // A named namespace: through `ip netns exec`, which bind-mounts its /etc/netns files.
      const name = etcNetnsName(w);
      return name ? ["ip", ["netns", "exec", name, ...withHostname(w)]] : ["nsenter", [`--net=${w.netns}`, ...withHostname(w)]];
    }
    case "host":
      return [w.command[0]!, w.command.slice(1)];
  }
}

/** Docker's default PATH: the command finds the usual tools, whatever pontond's own PATH was. */
export const WORKLOAD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * A command's environment is built, never inherited: pontond's own may hold secrets (tokens, a
 * database password given to the daemon). Its `-e` values (and a replica's PONTON_* ones) win.
 */
export function workloadEnv(w: Pick<Workload, "name" | "env" | "hostname">): Record<string, string> {
  return { PATH: WORKLOAD_PATH, HOME: "/root", HOSTNAME: w.hostname ?? w.name, ...w.env };
}

export class Supervisor {
  /** PIDs we are the parent of: their exit is reported by the 'exit' event. */
  private readonly children = new Map<number, string>();
  /** Adopted PIDs (started by an earlier daemon): polled. */
  private readonly adopted = new Map<number, { workloadId: string; pidStart: number }>();
  private poller: NodeJS.Timeout | undefined;

  constructor(
    private readonly logDir: string,
    private readonly onExit: (e: ExitEvent) => void,
  ) {}

  logPath(workloadId: string): string {
    return path.join(this.logDir, `${workloadId}.log`);
  }

  async start(w: Workload): Promise<ProcessInfo> {
    privateDir(this.logDir);
    const fd = openPrivate(this.logPath(w.id), "a");
    try {
      const [cmd, args] = commandLine(w);
      const child = spawn(cmd, args, { detached: true, stdio: ["ignore", fd, fd], env: workloadEnv(w) });
      const pid = await new Promise<number>((resolve, reject) => {
        child.once("spawn", () => resolve(child.pid!));
        child.once("error", reject);
      });
      child.unref();
      this.children.set(pid, w.id);
      child.once("exit", (code, signal) => {
        this.children.delete(pid);
        this.onExit({ workloadId: w.id, pid, ...(code !== null ? { exitCode: code } : signal ? { exitCode: 128 + signalNumber(signal) } : {}) });
      });
      return { pid, pidStart: processStartTime(pid) ?? 0 };
    } finally {
      closeSync(fd);
    }
  }

  /** A removed workload's output goes with it. */
  removeLog(workloadId: string): void {
    rmSync(this.logPath(workloadId), { force: true });
  }

  /** Watch a process an earlier daemon started; its exit code is unknown to us. */
  adopt(workloadId: string, pid: number, pidStart: number): void {
    this.adopted.set(pid, { workloadId, pidStart });
    this.poller ??= setInterval(() => this.poll(), 1000);
    this.poller.unref();
  }

  private poll(): void {
    for (const [pid, a] of this.adopted) {
      if (processStartTime(pid) !== a.pidStart) {
        this.adopted.delete(pid);
        this.onExit({ workloadId: a.workloadId, pid });
      }
    }
  }

  /** SIGTERM the process group, then SIGKILL after the grace period. Resolves when it is gone. */
  async stop(pid: number, pidStart: number | undefined, graceMs: number): Promise<void> {
    if (!isOurProcess(pid, pidStart)) return;
    this.adopted.delete(pid);
    signalGroup(pid, "SIGTERM");
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      if (!isOurProcess(pid, pidStart)) return;
      await sleep(20);
    }
    signalGroup(pid, "SIGKILL");
    for (let i = 0; i < 100 && isOurProcess(pid, pidStart); i++) await sleep(10);
  }

  close(): void {
    if (this.poller) clearInterval(this.poller);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
