// An Executor that runs programs from a small helper process (spawner-main.ts) instead of pontond.
// Why: fork() from pontond costs 5–40 ms once it holds 10,000 services, on its only thread, and
// every `ip`, `conntrack` and helper run paid it (a label flip among 10,000 services started ~10
// conntrack cleanups). The helper stays small, so its forks stay cheap, and pontond only writes a
// message. Started on first use, started again if it died.
import { fork, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { CommandError, type ExecResult, type Executor } from "./executor";
import type { SpawnReply, SpawnRequest } from "./spawner-main";

export class SpawnerExecutor implements Executor {
  private child: ChildProcess | undefined;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (r: ExecResult) => void; reject: (e: Error) => void; cmd: string; args: string[] }>();

  private start(): ChildProcess {
    // --max-old-space-size keeps it small for good: a smaller address space is a cheaper fork.
    const child = fork(path.join(__dirname, "spawner-main.js"), [], { execArgv: ["--max-old-space-size=64"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    child.on("message", (m: SpawnReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) child.channel?.unref();
      if (m.code === 0) p.resolve({ stdout: m.stdout, stderr: m.stderr, ...(m.pid ? { pid: m.pid } : {}) });
      else p.reject(new CommandError(p.cmd, p.args, m.code, m.stderr));
    });
    child.on("exit", () => {
      if (this.child === child) this.child = undefined;
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(new CommandError(p.cmd, p.args, null, "the spawner process exited"));
      }
    });
    // Idle, it never keeps pontond (or a test) alive; a pending run does (see run()).
    child.unref();
    child.channel?.unref();
    return child;
  }

  run(cmd: string, args: string[], input?: string): Promise<ExecResult> {
    const child = (this.child ??= this.start());
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, cmd, args });
      child.channel?.ref();
      const request: SpawnRequest = input === undefined ? { id, cmd, args } : { id, cmd, args, input };
      child.send(request);
    });
  }

  close(): void {
    this.child?.disconnect();
    this.child = undefined;
  }
}
