// pontond's end of HAProxy's log ring: a unix stream socket read in batches. HAProxy writes a line
// per request as it logs it; reading each as it comes would wake pontond's event loop once per
// request, which costs the proxy's own CPU on a busy node (bench/l7/README.md). So a connection is
// read, then paused for BATCH_MS: the lines wait in the socket buffer and in HAProxy's ring (4 MiB,
// kept for us), and the next read takes all of them at once. A full read (more waiting) reads on.
import net from "node:net";

/** How long lines may wait before pontond reads them (records appear in `observe` this much later). */
export const BATCH_MS = 20;

/** A read of this size or more: the socket likely holds more, read on without a pause. */
const FULL_READ = 64 * 1024;

/** Listens on `file`; `onLines` gets the complete lines of each batch (a partial line waits for its end). */
export function listenLogSocket(file: string, onLines: (lines: string[]) => void): Promise<net.Server> {
  // highWaterMark 1: a paused connection stops reading from the kernel after one more chunk.
  const server = net.createServer({ highWaterMark: 1 }, (c) => {
    let buf = "";
    let timer: NodeJS.Timeout | undefined;
    c.setEncoding("utf8");
    c.on("data", (d: string) => {
      buf += d;
      const nl = buf.lastIndexOf("\n");
      if (nl >= 0) {
        const lines = buf.slice(0, nl).split("\n");
        buf = buf.slice(nl + 1);
        onLines(lines);
      }
      if (Buffer.byteLength(d) >= FULL_READ || timer) return;
      c.pause();
      timer = setTimeout(() => {
        timer = undefined;
        c.resume();
      }, BATCH_MS);
      timer.unref();
    });
    c.on("close", () => clearTimeout(timer));
    c.on("error", () => undefined);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(file, () => resolve(server));
  });
}
