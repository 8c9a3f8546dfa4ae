// `ponton exec` of a workload on another node: an upgraded request on pontond's socket, piped by
// the node asked to the owner, which runs the command and streams it back (src/api/workload-exec.ts).
import http from "node:http";
import { EngineError, type ErrorCode } from "../errors";
import { encodeCommand, EXEC_HEADER, EXEC_PROTOCOL, EXIT, frame, FrameDecoder, STDERR, STDIN, STDOUT } from "../api/exec-frames";
import { unavailable } from "./client";

/** Run ARGV in workload NAME wherever it runs, with this process's stdin/stdout/stderr; its exit status. */
export function execStream(socketPath: string, name: string, argv: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      socketPath,
      method: "POST",
      path: `/v1/workloads/${encodeURIComponent(name)}/exec`,
      headers: { connection: "Upgrade", upgrade: EXEC_PROTOCOL, [EXEC_HEADER]: encodeCommand(argv) },
    });
    req.on("upgrade", (_res, socket, head) => {
      let status: number | undefined;
      const out = new FrameDecoder((channel, data) => {
        if (channel === STDOUT) process.stdout.write(data);
        else if (channel === STDERR) process.stderr.write(data);
        else if (channel === EXIT) status = data.readInt32BE();
      });
      const onInput = (d: Buffer) => socket.write(frame(STDIN, d));
      const onEnd = () => socket.write(frame(STDIN, Buffer.alloc(0)));
      process.stdin.on("data", onInput).on("end", onEnd);
      socket.on("data", (d: Buffer) => out.push(d));
      if (head.length) out.push(head);
      socket.on("error", () => undefined);
      socket.on("close", () => {
        process.stdin.off("data", onInput).off("end", onEnd);
        process.stdin.pause();
        if (status === undefined) reject(new EngineError("NODE_NOT_READY", `exec ${name}: the connection ended before the command's exit status`));
        else resolve(status);
      });
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        let e: { code?: ErrorCode; message?: string; hint?: string } | undefined;
        try {
          e = (JSON.parse(Buffer.concat(chunks).toString()) as { error?: typeof e }).error;
        } catch {
          // said below
        }
        reject(new EngineError(e?.code ?? "INTERNAL", e?.message ?? `exec ${name}: HTTP ${res.statusCode}`, e?.hint ? { hint: e.hint } : {}));
      });
    });
    req.on("error", (e: NodeJS.ErrnoException) => reject(unavailable(socketPath, e, "POST")));
    req.end();
  });
}
