// Background processes of one bench run. Each is recorded by the PID we got (or, for aardvark,
// the PID it wrote itself), and only those PIDs are ever signalled.
import { spawn } from "node:child_process";
import * as fs from "node:fs";

export interface Proc {
  label: string;
  pid: number;
  /** Resolves when a child we spawned exits (never, for a daemon that forked away). */
  exited: Promise<void>;
}

const owned: Proc[] = [];

export function track(p: Proc): Proc {
  owned.push(p);
  return p;
}

/** Spawns argv; its stdout is handed to `onLine` line by line, stderr goes to `log`. */
export function start(label: string, argv: readonly string[], log: string, onLine?: (line: string) => void): Proc {
  const fd = fs.openSync(log, "a");
  const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", onLine ? "pipe" : fd, fd] });
  fs.closeSync(fd);
  if (child.pid === undefined) throw new Error(`start ${label}: spawn ${argv[0]} failed`);
  if (onLine) {
    let rest = "";
    child.stdout!.on("data", (d: Buffer) => {
      const lines = (rest + d.toString()).split("\n");
      rest = lines.pop() ?? "";
      lines.forEach(onLine);
    });
  }
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return track({ label, pid: child.pid, exited });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM each tracked PID, SIGKILL after 2 s if still there. */
export async function stopAll(): Promise<void> {
  const list = owned.splice(0);
  for (const p of list) {
    if (alive(p.pid)) process.kill(p.pid, "SIGTERM");
  }
  const deadline = Date.now() + 2000;
  for (const p of list) {
    while (alive(p.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (alive(p.pid)) {
      process.stderr.write(`${p.label} (pid ${p.pid}) ignored SIGTERM: SIGKILL\n`);
      process.kill(p.pid, "SIGKILL");
    }
  }
}
