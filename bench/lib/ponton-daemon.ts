// Starts the Ponton daemon inside a host namespace and talks to its HTTP/1.1 JSON API over the
// unix socket, with one keep-alive connection so request timings exclude connection setup.
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { killAndWait, startBackground } from "./netns";
import { nowMs, sleep } from "./proc";

export const REPO_ROOT = path.resolve(__dirname, "../../..");
export const DAEMON_JS = path.join(REPO_ROOT, "dist/src/daemon/main.js");
// package.json's "bin" entry; dist/src/daemon/main.js only exports runPontond() and exits at once
// when run directly, so the bin wrapper is the entry point that actually starts the daemon.
export const DAEMON_BIN = path.join(REPO_ROOT, "bin/pontond");
export const CLI_JS = path.join(REPO_ROOT, "dist/src/cli/main.js");

export interface ApiResponse {
  status: number;
  body: unknown;
  ms: number;
}

export class PontonDaemon {
  pid = 0;
  /** True once the socket accepted a connection. */
  listening = false;
  private exited: Promise<number | null> = Promise.resolve(null);
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  readonly socket: string;
  readonly stateDir: string;
  readonly logFile: string;

  constructor(private readonly hostNs: string, private readonly prefix: string, dir: string) {
    this.socket = path.join(dir, "ponton.sock");
    this.stateDir = path.join(dir, "state");
    this.logFile = path.join(dir, "daemon.log");
  }

  static built(): boolean {
    return fs.existsSync(DAEMON_JS);
  }

  async start(timeoutMs = 20000): Promise<void> {
    fs.mkdirSync(this.stateDir, { recursive: true });
    const entry = fs.existsSync(DAEMON_BIN) ? DAEMON_BIN : DAEMON_JS;
    // nsenter (network namespace only, not `ip netns exec`): the namespaces the daemon creates must be
    // visible machine-wide, and nsenter execs node in place, so this PID is the daemon's own.
    const argv = ["nsenter", `--net=/run/netns/${this.hostNs}`, process.execPath, entry, "--state-dir", this.stateDir, "--socket", this.socket, "--prefix", this.prefix];
    const child = startBackground(argv, this.logFile);
    this.pid = child.pid;
    this.exited = child.exited;
    let gone: number | null | undefined;
    void child.exited.then((c) => (gone = c));
    const deadline = nowMs() + timeoutMs;
    while (nowMs() < deadline) {
      if (gone !== undefined) throw new Error(`daemon exited with ${gone} before listening: ${this.logTail()}`);
      if (await canConnect(this.socket)) {
        this.listening = true;
        return;
      }
      await sleep(50);
    }
    throw new Error(`daemon did not accept connections on ${this.socket} within ${timeoutMs} ms: ${this.logTail()}`);
  }

  logTail(lines = 5): string {
    try {
      return fs.readFileSync(this.logFile, "utf8").trim().split("\n").slice(-lines).join(" | ");
    } catch {
      return "(no log)";
    }
  }

  request(method: string, urlPath: string, body?: unknown): Promise<ApiResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const t0 = nowMs();
      const req = http.request(
        {
          socketPath: this.socket, agent: this.agent, method, path: urlPath,
          headers: payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {},
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8").on("data", (d: string) => (text += d));
          res.on("end", () => {
            const ms = nowMs() - t0;
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              /* keep raw text for the error message */
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, ms });
          });
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    if (this.pid) await killAndWait(this.pid, this.exited, 5000);
  }
}

function canConnect(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ path: socketPath });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** "CODE: message" from the API's error envelope, or the raw body. */
export function apiError(r: ApiResponse): string {
  const e = (r.body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return e ? `${r.status} ${e.code}: ${e.message}` : `${r.status} ${JSON.stringify(r.body).slice(0, 300)}`;
}
