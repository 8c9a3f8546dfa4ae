// Follows this namespace's links while an L2 policy exists, so an interface that appears later, or
// is renamed to match a policy's regex, is answered on at once rather than at the next change of
// services or policies. `ip -o monitor link` prints one line per rtnetlink link event; events of
// Ponton's own links (bridges, workload veths, the overlay) are skipped, the rest gathered for 50 ms
// and then the engine re-plans (which re-reads the links; an unchanged plan changes nothing).
// setpriv gives it a parent-death signal, so a pontond killed with -9 leaves no monitor behind.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

const GATHER_MS = 50;

/** The link name of one `ip -o monitor link` line ("3: eth1@if2: <…>", "Deleted 3: eth1: …"), if any. */
export function monitoredLink(line: string): string | undefined {
  return /^(?:Deleted )?\d+: ([^:@\s]+)[@:]/.exec(line)?.[1];
}

/** Ponton's own links never match a policy by default and change with every workload: no re-plan for them. */
export const ownLink = (name: string): boolean => /^(pbr-|pv-|pr-|ponton)/.test(name);

export class L2LinkWatch {
  private child: ChildProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Times the monitor was started (for the status and tests). */
  starts = 0;

  constructor(private readonly onLinks: () => void) {}

  /** Watch while `active` (some L2 policy exists); stop otherwise. */
  follow(active: boolean): void {
    if (active && !this.child && !this.closed) this.start();
    else if (!active) this.stop();
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  private start(): void {
    const child = spawn("setpriv", ["--pdeathsig", "KILL", "ip", "-o", "monitor", "link"], { stdio: ["ignore", "pipe", "ignore"] });
    this.child = child;
    this.starts++;
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const name = monitoredLink(line);
      if (!name || ownLink(name)) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(this.onLinks, GATHER_MS);
    });
    child.on("error", (e) => console.error(`pontond: L2 link watch: ${e.message}`));
    child.on("exit", (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (this.closed) return;
      // Not expected: say so; the next L2 change starts it again, and re-planning now catches what was missed.
      console.error(`pontond: L2 link watch: ip monitor exited ${signal ? `on ${signal}` : `with code ${code}`}`);
      this.onLinks();
    });
  }

  private stop(): void {
    clearTimeout(this.timer);
    const c = this.child;
    this.child = undefined;
    if (c && c.exitCode === null) c.kill("SIGTERM");
  }

  close(): void {
    this.closed = true;
    this.stop();
  }
}
