// Process helpers. Every timed figure is the caller's view: spawn + run + exit + output drained.
import { spawn, SpawnOptions } from "node:child_process";
import { readFileSync } from "node:fs";

export interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Runs argv to completion; never rejects on a non-zero exit (callers decide what a failure is). */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const spawnOpts: SpawnOptions = { stdio: ["pipe", "pipe", "pipe"], env: opts.env ?? process.env };
    const t0 = nowMs();
    const child = spawn(argv[0], argv.slice(1), spawnOpts);
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs) : undefined;
    child.on("error", (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: nowMs() - t0 });
    });
    // EPIPE is possible if the program exits without reading stdin; the exit code tells the story.
    child.stdin!.on("error", () => undefined);
    child.stdin!.end(opts.input ?? "");
  });
}

/** Like run() but throws with the command and its stderr when the exit code is not 0. */
export async function mustRun(argv: readonly string[], opts: RunOptions = {}): Promise<ProcResult> {
  const r = await run(argv, opts);
  if (r.code !== 0) {
    const why = (r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ");
    throw new Error(`${argv.join(" ")}: exit ${r.code ?? r.signal}: ${why}`);
  }
  return r;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A process's CPU time so far (user + system), ms: what it cost whatever the load. */
export function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}
