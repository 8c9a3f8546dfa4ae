// Client of native/ponton-nftbatch: one long-lived process per daemon carries encoded batches to
// nf_tables (no `nft` spawn, no cache dump). Started on first use, started again if it died.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { u32host } from "./message";

export class NftBatchError extends Error {
  constructor(
    readonly errno: number,
    /** Index of the refused message in the batch (-1: the send itself failed). */
    readonly index: number,
  ) {
    super(`nf_tables refused the batch (errno ${errno}${index >= 0 ? `, message ${index}` : ""}): nothing was applied`);
    this.name = "NftBatchError";
  }
}

export class NftBatchWriter {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly waiting: { resolve: (line: string) => void; reject: (e: Error) => void }[] = [];

  /** `args`: for a helper started through a wrapper (tests run it with `ip netns exec NS helper`). */
  constructor(
    private readonly helper: string,
    private readonly args: string[] = [],
  ) {}

  private start(): ChildProcessWithoutNullStreams {
    const child = spawn(this.helper, this.args, { stdio: ["pipe", "pipe", "pipe"] });
    const fail = (e: Error) => {
      if (this.child === child) this.child = undefined;
      for (const w of this.waiting.splice(0)) w.reject(e);
    };
    child.on("error", (e) => fail(new Error(`${this.helper}: ${e.message} (run \`npm run build\`)`)));
    child.on("exit", (code, signal) => fail(new Error(`${this.helper} exited (${signal ?? code})`)));
    child.stdin.on("error", () => undefined); // reported by "exit"
    child.stderr.on("data", (d: Buffer) => process.stderr.write(d));
    createInterface({ input: child.stdout }).on("line", (line) => this.waiting.shift()?.resolve(line));
    return child;
  }

  /** PID of the running helper (its commits are ours), if one runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Sends one batch; resolves when the kernel committed it, rejects with NftBatchError when it refused it. */
  async send(bytes: Buffer, firstSeq: number): Promise<void> {
    const child = (this.child ??= this.start());
    const line = await new Promise<string>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      child.stdin.write(Buffer.concat([u32host(bytes.length), bytes]));
    });
    if (line === "0") return;
    const [errno, seq] = line.split(" ").map(Number);
    throw new NftBatchError(errno ?? -1, seq ? seq - firstSeq : -1);
  }

  /** Ends the helper (daemon shutdown). */
  close(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }
}
