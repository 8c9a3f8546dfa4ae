// POST /v1/cli: runs a `ponton` command line in pontond for bin/ponton-client (docs/cli.md, "Fast
// path"). Only on the API's unix socket (never the UI or metrics listeners), so only whoever may use
// the API at all. The body is {argv, socket}: data only — nothing on the client's side is read.
// 200 with the exit code in X-Ponton-Exit and what the command wrote as frames (1 byte fd, 4 bytes
// big-endian length, bytes), in order; 422 CLI_IN_CLIENT, before anything ran, when the command
// line must run in the client (src/cli/fast-path.ts).
import type { Route } from "../api/routes";
import { EngineError } from "../errors";
import { checkShape } from "../model/shape";
import { runInProcess, type Frame } from "../cli/in-process";

/** Bounds one command line (the API's body limit bounds the bytes). */
const MAX_ARGS = 4096;

export function cliRoute(ownSocket: string): Route {
  return {
    method: "POST",
    pattern: /^\/v1\/cli$/,
    status: 0,
    handler: async ({ body, res }) => {
      const b = checkShape("cli request", await body(), { argv: "string[]", socket: "string" });
      const argv = b.argv as string[] | undefined;
      if (!argv || argv.length > MAX_ARGS) throw new EngineError("INVALID_ARGUMENT", `'argv' must be a list of at most ${MAX_ARGS} strings`);
      const r = await runInProcess(argv, typeof b.socket === "string" ? b.socket : ownSocket, ownSocket);
      if ("refused" in r) throw new EngineError("CLI_IN_CLIENT", `ponton ${argv.join(" ")}: ${r.refused}`);
      const out = encodeFrames(r.frames);
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": out.length, "x-ponton-exit": String(r.exit) });
      res.end(out);
    },
  };
}

export function encodeFrames(frames: Frame[]): Buffer {
  return Buffer.concat(
    frames.flatMap(([fd, data]) => {
      const head = Buffer.alloc(5);
      head[0] = fd;
      head.writeUInt32BE(data.length, 1);
      return [head, data];
    }),
  );
}
