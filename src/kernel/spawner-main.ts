// The spawner process (see spawner.ts): runs each requested program and answers with its result.
// Exits when pontond goes away (the IPC channel closes).
import { CommandError, ProcessExecutor } from "./executor";

export interface SpawnRequest {
  id: number;
  cmd: string;
  args: string[];
  input?: string;
}

export interface SpawnReply {
  id: number;
  /** Exit code, null when the program could not be started or was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
  pid?: number;
}

if (require.main === module && process.send) {
  const exec = new ProcessExecutor();
  process.on("message", (m: SpawnRequest) => {
    exec.run(m.cmd, m.args, m.input).then(
      (r) => process.send!({ id: m.id, code: 0, stdout: r.stdout, stderr: r.stderr, ...(r.pid ? { pid: r.pid } : {}) } satisfies SpawnReply),
      (e: unknown) => {
        const err = e instanceof CommandError ? e : new CommandError(m.cmd, m.args, null, String(e));
        process.send!({ id: m.id, code: err.exitCode, stdout: "", stderr: err.stderr } satisfies SpawnReply);
      },
    );
  });
  process.on("disconnect", () => process.exit(0));
}
