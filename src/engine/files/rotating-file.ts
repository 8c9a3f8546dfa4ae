// An append-only log file with bounded disk use: past `maxBytes` it is renamed to FILE.1 (replacing
// the previous one) and a new FILE is started.
import { createWriteStream, fchmod, renameSync, statSync, type WriteStream } from "node:fs";
import path from "node:path";
import { PRIVATE_FILE_MODE, privateDir } from "./private-files";

export class RotatingFile {
  private out: WriteStream | undefined;
  private bytes = 0;

  constructor(
    readonly file: string,
    private readonly maxBytes: number,
  ) {}

  write(line: string): void {
    if (!this.out) {
      try {
        this.bytes = statSync(this.file).size;
      } catch {
        this.bytes = 0;
      }
      privateDir(path.dirname(this.file));
      // Policy and flow logs name every workload and connection: 0600 like the database (created
      // so whatever the umask; one an older pontond left wider is narrowed once open).
      this.out = createWriteStream(this.file, { flags: "a", mode: PRIVATE_FILE_MODE });
      this.out.on("open", (fd: number) => fchmod(fd, PRIVATE_FILE_MODE, () => undefined));
      this.out.on("error", () => (this.out = undefined));
    }
    this.out.write(line);
    this.bytes += Buffer.byteLength(line);
    if (this.bytes > this.maxBytes) {
      // The open stream finishes into the renamed file; the next line opens a new one.
      this.out.end();
      this.out = undefined;
      renameSync(this.file, `${this.file}.1`);
    }
  }

  /** Resolves once every line written is in the file. */
  close(): Promise<void> {
    const out = this.out;
    this.out = undefined;
    return new Promise((resolve) => (out ? out.end(() => resolve()) : resolve()));
  }
}
