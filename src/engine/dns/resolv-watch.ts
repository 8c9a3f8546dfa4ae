// Follows the host's resolv.conf live, as netavark does: a watch on the file (edited in place)
// and on its directory (resolv.conf is usually replaced by a rename, which a file watch misses,
// or created after we start). Bursts of events are folded into one call.
import { type FSWatcher, watch } from "node:fs";
import path from "node:path";

export class ResolvWatch {
  private readonly watchers = new Map<string, FSWatcher>();
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly files: readonly string[],
    private readonly onChange: () => void,
    private readonly settleMs = 100,
  ) {}

  start(): void {
    for (const file of this.files) {
      const dir = path.dirname(file);
      const base = path.basename(file);
      this.arm(`dir:${dir}`, dir, (name) => {
        if (name !== null && name !== base) return;
        this.arm(`file:${file}`, file, () => this.changed(), true); // the new inode after a rename
        this.changed();
      });
      this.arm(`file:${file}`, file, () => this.changed());
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** A missing file or directory is not an error: the directory watch sees it appear. */
  private arm(key: string, target: string, onEvent: (name: string | null) => void, replace = false): void {
    if (this.closed || (this.watchers.has(key) && !replace)) return;
    this.watchers.get(key)?.close();
    this.watchers.delete(key);
    try {
      const w = watch(target, { persistent: false }, (_event, name) => onEvent(name === null ? null : String(name)));
      w.on("error", () => {
        w.close();
        if (this.watchers.get(key) === w) this.watchers.delete(key);
      });
      this.watchers.set(key, w);
    } catch {
      // ENOENT and the like: nothing to watch yet
    }
  }

  private changed(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => !this.closed && this.onChange(), this.settleMs);
  }
}
