// `ponton exec` of a workload that runs on another node: the owner runs the command in the
// workload's network namespace (as the CLI does for a local one: `ip netns exec` with its
// resolv.conf, or nsenter) and streams it over the upgraded connection in frames (exec-frames.ts).
// No terminal is allocated: stdin, stdout and stderr are pipes, the exit status comes last.
import { spawn } from "node:child_process";
import { constants } from "node:os";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Cluster } from "../cluster";
import type { Engine } from "../engine";
import { isLocal } from "./local-workload";
import { asEngineError, codeInfo, EngineError } from "../errors";
import { writeRawError } from "../cluster/workloads/remote-commands";
import { decodeCommand, EXEC_HEADER, EXEC_PROTOCOL, exitFrame, frame, FrameDecoder, STDERR, STDIN, STDOUT } from "./exec-frames";
import { decodeSegment } from "./http-util";

const EXEC_PATH = /^\/v1\/workloads\/([^/]+)\/exec$/;

function refuse(socket: Duplex, err: unknown): void {
  const e = asEngineError(err);
  writeRawError(socket, codeInfo(e.code).http, JSON.stringify({ error: e.toJSON() }));
}

/** The workload's name and the command line of an exec request; an error with its code otherwise. */
function execRequest(req: IncomingMessage): { name: string; argv: string[] } {
  const m = EXEC_PATH.exec(new URL(req.url ?? "/", "http://ponton").pathname);
  if (!m || req.headers.upgrade !== EXEC_PROTOCOL) throw new EngineError("NOT_FOUND", `no upgrade route ${req.method} ${req.url}`, { hint: "see docs/api.md" });
  const argv = decodeCommand(req.headers[EXEC_HEADER]);
  if (!argv) throw new EngineError("INVALID_ARGUMENT", `exec: header ${EXEC_HEADER} must be a non-empty JSON list of strings, base64-encoded`);
  return { name: decodeSegment(m[1]!), argv };
}

/** Run the command in a workload of this node and stream it on the socket. */
export function serveExec(engine: Engine, req: IncomingMessage, socket: Duplex): void {
  let name: string, argv: string[], w;
  try {
    ({ name, argv } = execRequest(req));
    w = engine.inspect(name);
  } catch (e) {
    return refuse(socket, e);
  }
  const [bin, args] = w.netnsName ? ["ip", ["netns", "exec", w.netnsName, ...argv]] : w.netnsMode === "path" ? ["nsenter", [`--net=${w.netns}`, ...argv]] : [argv[0]!, argv.slice(1)];
  const child = spawn(bin, args, { stdio: ["pipe", "pipe", "pipe"] });
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: ${EXEC_PROTOCOL}\r\n\r\n`);
  child.stdout.on("data", (d: Buffer) => socket.write(frame(STDOUT, d)));
  child.stderr.on("data", (d: Buffer) => socket.write(frame(STDERR, d)));
  child.stdin.on("error", () => undefined); // the command ended without reading its input
  const input = new FrameDecoder((channel, data) => {
    if (channel !== STDIN) return;
    if (data.length === 0) child.stdin.end();
    else child.stdin.write(data);
  });
  socket.on("data", (d: Buffer) => input.push(d));
  socket.on("error", () => undefined);
  // The caller left: the command goes too.
  socket.on("close", () => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"));
  child.on("error", (e) => {
    socket.write(frame(STDERR, Buffer.from(`ponton exec: ${bin}: ${e.message}\n`)));
    socket.end(exitFrame(127));
  });
  child.on("close", (code, signal) => socket.end(exitFrame(code ?? 128 + (signal ? constants.signals[signal] : 0))));
}

/**
 * The API socket's upgrade requests: `exec` of a workload another node runs goes to that node; one
 * of this node is served here.
 */
export function execUpgrade(engine: Engine, cluster: Cluster | undefined) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on("error", () => undefined);
    void (async () => {
      const { name } = execRequest(req);
      const local = isLocal(engine, name);
      const owner = !local && cluster ? await cluster.ownerOf(name) : undefined;
      if (owner) cluster!.forwardUpgrade(owner, req, req.url!, socket, head);
      else serveExec(engine, req, socket);
    })().catch((e) => refuse(socket, e));
  };
}
