// Which nf_tables commits were pontond's own. The kernel announces every commit with the PID of the
// process that made it (NFTA_GEN_PROC_PID); ours are our `nft -f` processes and our ponton-nftbatch.
// An nft process's PID is known only once it has exited, after the kernel's announcement may have
// been read: so a commit is judged only when none of ours is in flight (`busy`).
const KEEP_MS = 60_000;

export class OwnCommits {
  private readonly pids = new Map<number, number>();
  private inFlight = 0;
  private readonly idle: (() => void)[] = [];

  /** Runs a commit of ours; `add` its PID inside. */
  async during<T>(commit: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await commit();
    } finally {
      if (--this.inFlight === 0) for (const f of this.idle.splice(0)) f();
    }
  }

  add(pid: number, now = Date.now()): void {
    this.pids.set(pid, now);
    // PIDs are reused only after the kernel's PID space wraps (millions): a minute of memory is plenty.
    if (this.pids.size > 256) for (const [p, at] of this.pids) if (now - at > KEEP_MS) this.pids.delete(p);
  }

  get busy(): boolean {
    return this.inFlight > 0;
  }

  /** Resolves when no commit of ours is in flight. */
  settled(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((r) => this.idle.push(r));
  }

  isOwn(pid: number): boolean {
    return this.pids.has(pid);
  }
}
