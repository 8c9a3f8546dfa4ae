// The narrow port through which all kernel changes go: run a program, maybe with stdin.
import { spawn } from "node:child_process";

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** PID the program ran as (the nf_tables watcher tells our commits from others' by it). */
  pid?: number;
}

export interface Executor {
  run(cmd: string, args: string[], input?: string): Promise<ExecResult>;
  /** Ends helper processes the executor keeps (daemon shutdown). */
  close?(): void;
}

export class CommandError extends Error {
  constructor(
    readonly cmd: string,
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${cmd} ${args.join(" ")}: ${stderr.trim() || `exit ${exitCode}`}`);
    this.name = "CommandError";
  }
}

/** Runs real programs (ip, nft). */
export class ProcessExecutor implements Executor {
  run(cmd: string, args: string[], input?: string): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout!.on("data", (d: Buffer) => out.push(d));
      child.stderr!.on("data", (d: Buffer) => err.push(d));
      child.on("error", (e) => reject(new CommandError(cmd, args, null, e.message)));
      child.on("close", (code) => {
        const stdout = Buffer.concat(out).toString();
        const stderr = Buffer.concat(err).toString();
        if (code === 0) resolve(child.pid === undefined ? { stdout, stderr } : { stdout, stderr, pid: child.pid });
        else reject(new CommandError(cmd, args, code, stderr || stdout));
      });
      if (input !== undefined) child.stdin!.end(input);
    });
  }
}

export interface RecordedCall {
  cmd: string;
  args: string[];
  input?: string;
}

/** Unit-test double: records every call and answers through an optional handler. */
export class RecordingExecutor implements Executor {
  readonly calls: RecordedCall[] = [];
  constructor(private readonly handler: (call: RecordedCall) => ExecResult | Error = () => ({ stdout: "", stderr: "" })) {}

  async run(cmd: string, args: string[], input?: string): Promise<ExecResult> {
    const call: RecordedCall = input === undefined ? { cmd, args } : { cmd, args, input };
    this.calls.push(call);
    const result = this.handler(call);
    if (result instanceof Error) throw result;
    return result;
  }
}
