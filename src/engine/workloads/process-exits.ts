// What happens when a workload's process ends: record it, and restart it if its policy says so.
import type { Workload } from "../../model/types";
import type { EngineContext } from "../context";

const MAX_BACKOFF_MS = 10_000;

export class ExitHandler {
  private readonly restarts = new Map<string, number>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly schedule: (op: () => Promise<void>) => void,
  ) {}

  shouldRestart(w: Workload, exitCode: number | undefined): boolean {
    if (w.restart === "always") return true;
    return w.restart === "on-failure" && exitCode !== 0;
  }

  /** Called (serialised) when the process `pid` of workload `id` is gone. */
  async exited(id: string, pid: number, exitCode: number | undefined): Promise<void> {
    const w = this.ctx.store.workloads().find((x) => x.id === id);
    // Stopped, removed, or already replaced by a newer process: nothing to do.
    if (!w || w.state !== "running" || w.pid !== pid) return;
    if (!this.shouldRestart(w, exitCode)) {
      const exited: Workload = { ...w, state: "exited", ...(exitCode !== undefined ? { exitCode } : {}) };
      delete exited.pid;
      delete exited.pidStart;
      this.ctx.store.putWorkload(exited);
      return;
    }
    const n = this.restarts.get(id) ?? 0;
    this.restarts.set(id, n + 1);
    const delay = Math.min(100 * 2 ** n, MAX_BACKOFF_MS);
    setTimeout(() => this.schedule(() => this.restart(id, pid)), delay).unref();
  }

  private async restart(id: string, oldPid: number): Promise<void> {
    const w = this.ctx.store.workloads().find((x) => x.id === id);
    if (!w || w.state !== "running" || w.pid !== oldPid) return;
    const info = await this.ctx.supervisor.start(w);
    this.ctx.store.putWorkload({ ...w, ...info });
  }
}
