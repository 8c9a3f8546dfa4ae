// pontond runs the CLI in-process for bin/ponton-client: the same parsing and formatting as the
// Node CLI, warm, with what it writes to stdout and stderr captured per request (AsyncLocalStorage,
// so concurrent requests and the daemon's own log lines never mix). Commands write to
// process.stdout/stderr as any CLI does; the capture swaps those streams' write for this process.
import { AsyncLocalStorage } from "node:async_hooks";
import { runCli } from "./cli";
import { fastPathRefusal } from "./fast-path";

/** What one command line wrote, in order: [1 or 2, bytes]. */
export type Frame = [fd: 1 | 2, data: Buffer];

const capture = new AsyncLocalStorage<Frame[]>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  for (const [fd, stream] of [[1, process.stdout], [2, process.stderr]] as const) {
    const write = stream.write;
    stream.write = function (this: NodeJS.WriteStream, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
      const frames = capture.getStore();
      if (!frames) return (write as (...a: unknown[]) => boolean).call(this, chunk, encoding, cb);
      frames.push([fd, typeof chunk === "string" ? Buffer.from(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8") : Buffer.from(chunk as Uint8Array)]);
      const done = typeof encoding === "function" ? encoding : cb;
      if (typeof done === "function") process.nextTick(done as () => void);
      return true;
    } as typeof stream.write;
  }
}

export type InProcessResult = { refused: string } | { exit: number; frames: Frame[] };

/**
 * Runs `argv` (as after `ponton`) against pontond's own socket `connect`; `socket` is the path as the
 * user gave it (for messages). Refused, without running anything, when fast-path.ts says so.
 */
export async function runInProcess(argv: string[], socket: string, connect: string): Promise<InProcessResult> {
  const refused = await fastPathRefusal(argv);
  if (refused) return { refused };
  install();
  const frames: Frame[] = [];
  const exit = await capture.run(frames, () => runCli(argv, { socket, connect }));
  return { exit, frames };
}
