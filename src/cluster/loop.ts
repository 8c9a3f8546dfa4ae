// A job that runs alone: asked again while it runs, it runs once more after (the state may have
// moved meanwhile). A failed run is retried after `retryMs` (etcd away: it converges when back).
export class Rerun {
  private running: Promise<void> | undefined;
  private dirty = false;
  private retry: NodeJS.Timeout | undefined;
  /** Said once per outage, not once a second. */
  private failing = false;
  closed = false;

  constructor(
    private readonly what: string,
    private readonly job: () => Promise<void>,
    private readonly retryMs = 1000,
  ) {}

  run(): Promise<void> {
    if (this.running) {
      this.dirty = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.dirty = false;
        try {
          await this.job();
          this.failing = false;
        } catch (e) {
          if (!this.failing) console.error(`pontond: cluster: ${this.what}: ${(e as Error).message}`);
          this.failing = true;
          if (!this.retry && !this.closed) this.retry = setTimeout(() => ((this.retry = undefined), void this.run()), this.retryMs).unref();
        }
      } while (this.dirty && !this.closed);
      this.running = undefined;
    })();
    return this.running;
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
  }
}
