// Runs bin/ponton-watch (native/ponton-watch) in pontond's namespace and hands each kernel event
// to the engine. Idle, it costs nothing: the helper sleeps in poll() until the kernel writes.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { parseKernelEvent, type KernelEvent } from "./kernel-events";

export const WATCH_HELPER = process.env.PONTON_WATCH ?? path.resolve(__dirname, "..", "..", "..", "bin", "ponton-watch");
const RESTART_DELAY_MS = 200;

export interface WatchTarget {
  family: string;
  table: string;
  /** Named namespaces we own start with this. */
  netnsPrefix: string;
  /** Links we own start with one of these. */
  ifPrefixes: string[];
}

export class KernelWatch {
  private child: ChildProcess | undefined;
  private stopped = false;
  /** Times the helper ended and was started again (a metric). */
  restarts = 0;
  /** Workload namespaces (names under /run/netns) the helper watches inside. */
  private watched = new Set<string>();

  constructor(
    private readonly target: WatchTarget,
    private readonly onEvent: (e: KernelEvent) => void,
  ) {}

  /** Resolves once the helper listens; rejects when it cannot start (a missing build must stop start-up). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = this.target;
      const child = spawn(WATCH_HELPER, [t.family, t.table, t.netnsPrefix, ...t.ifPrefixes], { stdio: ["pipe", "pipe", "pipe"] });
      this.child = child;
      // A restarted helper watches again every namespace it watched before.
      this.send([...this.watched].map((n) => `watch ${n}`));
      child.stdin!.on("error", () => undefined);
      let ready = false;
      let stderr = "";
      createInterface({ input: child.stdout! }).on("line", (line) => {
        const e = parseKernelEvent(line);
        if (!e) return;
        if (e.kind === "ready" && !ready) {
          ready = true;
          resolve();
        }
        // After a restart, "ready" tells the engine events may have been missed meanwhile.
        this.onEvent(e);
      });
      child.stderr!.on("data", (d: Buffer) => {
        stderr += d.toString();
        process.stderr.write(d);
      });
      child.on("error", (e) => reject(new Error(`cannot run ${WATCH_HELPER}: ${e.message} (run \`npm run build\`)`)));
      child.on("close", (code) => {
        if (!ready) reject(new Error(`${WATCH_HELPER} exited (${code}): ${stderr.trim()}`));
        if (this.stopped) return;
        this.restarts++;
        setTimeout(() => void (this.stopped || this.start().catch(() => undefined)), RESTART_DELAY_MS).unref();
      });
    });
  }

  /** Start and stop watching inside these namespaces (the caller keeps the set: no pass over every name per change). */
  watchNetns(added: readonly string[], removed: readonly string[]): void {
    const lines: string[] = [];
    for (const n of removed) if (this.watched.delete(n)) lines.push(`unwatch ${n}`);
    for (const n of added) {
      if (this.watched.has(n)) continue;
      this.watched.add(n);
      lines.push(`watch ${n}`);
    }
    this.send(lines);
  }

  private send(lines: string[]): void {
    if (lines.length && this.child?.stdin?.writable) this.child.stdin.write(lines.join("\n") + "\n");
  }

  stop(): void {
    this.stopped = true;
    this.child?.kill("SIGTERM");
  }
}
