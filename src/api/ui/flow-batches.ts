// Live flows for one browser: records gathered and sent as one server-sent event per tick, so a
// burst of 1,000 flows/s costs a few writes, not a thousand. A client that reads too slowly loses
// the oldest pending records (counted), never the daemon's memory.
export class FlowBatches<T> {
  private pending: T[] = [];
  private lostSince = 0;

  constructor(private readonly max: number) {}

  push(record: T): void {
    this.pending.push(record);
    // Trim in chunks: one splice per max/2 records rather than a shift per record.
    if (this.pending.length >= this.max * 1.5) {
      const over = this.pending.length - this.max;
      this.pending.splice(0, over);
      this.lostSince += over;
    }
  }

  /** The next event's payload, or undefined when there is nothing to send. */
  take(): { records: T[]; lost: number } | undefined {
    if (this.pending.length === 0 && this.lostSince === 0) return undefined;
    const out = { records: this.pending, lost: this.lostSince };
    this.pending = [];
    this.lostSince = 0;
    return out;
  }
}

/** One server-sent event. JSON never holds a raw newline, so one data line suffices. */
export function sseEvent(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}
