// The API client used by the CLI (and ponton-cni): HTTP/1.1 JSON over the daemon's unix socket.
import http from "node:http";
import { EngineError, type ErrorCode } from "../errors";

/** Why the daemon cannot be used, from the socket error: every such failure is DAEMON_UNAVAILABLE. */
export function unavailable(socketPath: string, e: NodeJS.ErrnoException, method = "GET"): EngineError {
  const details = { errno: e.code };
  if (e.code === "EACCES" || e.code === "EPERM") {
    return new EngineError("DAEMON_UNAVAILABLE", `permission denied on pontond's socket ${socketPath}`, {
      hint: "the API is root's and the group ponton's (members are root-equivalent): run as root, or ask for that group",
      details,
    });
  }
  if (e.code === "ENOENT" || e.code === "ECONNREFUSED") return new EngineError("DAEMON_UNAVAILABLE", `cannot reach pontond at ${socketPath}: ${e.code}`, { details });
  // Accepted, then closed before an answer: the daemon stopped or crashed mid-request.
  const applied = method === "GET" ? "" : "; the change may or may not have been applied (check with ponton ls/inspect)";
  return new EngineError("DAEMON_UNAVAILABLE", `pontond at ${socketPath} closed the connection before answering (${e.code ?? e.message})${applied}`, {
    hint: "see the daemon's log; start it again with 'pontond' (or 'ponton daemon')",
    details,
  });
}

export class Client {
  private readonly agent = new http.Agent({ keepAlive: true });

  constructor(readonly socketPath: string) {}

  request<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        { socketPath: this.socketPath, method, path, agent: this.agent, headers: payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {} },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("error", (e: NodeJS.ErrnoException) => reject(unavailable(this.socketPath, e, method)));
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString();
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = text;
            }
            if ((res.statusCode ?? 500) >= 400) {
              const e = (parsed as { error?: { code: ErrorCode; message: string; hint?: string; details?: unknown } })?.error;
              reject(e ? new EngineError(e.code, e.message, { ...(e.hint ? { hint: e.hint } : {}), details: e.details }) : new EngineError("INTERNAL", `HTTP ${res.statusCode}: ${text}`));
            } else resolve(parsed as T);
          });
        },
      );
      req.on("error", (e: NodeJS.ErrnoException) => {
        // The daemon closed an idle keep-alive socket just as we reused it: a GET is safe to resend.
        if (method === "GET" && !retried && req.reusedSocket && (e.code === "ECONNRESET" || e.code === "EPIPE")) {
          this.request<T>(method, path, body, true).then(resolve, reject);
        } else reject(unavailable(this.socketPath, e, method));
      });
      req.end(payload);
    });
  }

  /** A streamed response (logs) piped to `out`. */
  stream(path: string, out: NodeJS.WritableStream): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath: this.socketPath, method: "GET", path }, (res) => {
        if ((res.statusCode ?? 500) >= 400) {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const e = (JSON.parse(Buffer.concat(chunks).toString() || "{}") as { error?: { code: ErrorCode; message: string } }).error;
            reject(new EngineError(e?.code ?? "INTERNAL", e?.message ?? `HTTP ${res.statusCode}`));
          });
          return;
        }
        res.on("error", (e: NodeJS.ErrnoException) => reject(unavailable(this.socketPath, e)));
        res.pipe(out, { end: false });
        res.on("end", () => resolve());
      });
      req.on("error", (e: NodeJS.ErrnoException) => reject(unavailable(this.socketPath, e)));
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
