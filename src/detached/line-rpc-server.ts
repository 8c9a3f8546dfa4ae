// The server side of a detached helper's socket (the port holder): one JSON request
// per line, answered in order per client — a sync must not interleave with the request before it.
import { unlinkSync } from "node:fs";
import net from "node:net";

export interface LineRpcHooks {
  /** A client (a pontond) connected. */
  opened(c: net.Socket): void;
  /** It left (at once, so nothing more is sent to it). */
  closed(c: net.Socket): void;
  /** After a client left and its last request was answered: time to see whether to exit. */
  settled(): void;
}

export function serveLineRpc<Req, Reply>(socketPath: string, answer: (req: Req) => Promise<Reply>, failed: (err: unknown) => Reply, hooks: LineRpcHooks): net.Server {
  try {
    unlinkSync(socketPath);
  } catch {
    // none left
  }
  const server = net.createServer((c) => {
    hooks.opened(c);
    let buffered = "";
    let queue = Promise.resolve();
    c.on("data", (chunk) => {
      buffered += chunk.toString("utf8");
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        queue = queue.then(async () => {
          let reply: Reply;
          try {
            reply = await answer(JSON.parse(line) as Req);
          } catch (err) {
            reply = failed(err);
          }
          if (!c.destroyed) c.write(`${JSON.stringify(reply)}\n`);
        });
      }
    });
    c.on("error", () => undefined);
    c.on("close", () => {
      hooks.closed(c);
      void queue.then(hooks.settled);
    });
  });
  server.listen(socketPath);
  return server;
}
