// HAProxy as pontond's L7 proxy: started detached (master-worker, `-D`) so it outlives pontond
// as the port holder does; a new configuration is checked (`haproxy -c`), written, and loaded by
// SIGUSR2 to the master: it starts a new worker that takes the listening sockets from the old one
// over the stats socket (`expose-fd listeners`, no refused connection), and the old worker stops
// accepting, finishes the requests it is serving and closes each connection after its current
// response (HTTP/1.1 keep-alive clients open a new one, which the new worker serves), gone at the
// latest after `hard-stop-after`. A pontond restart reloads nothing when the configuration is the
// same, so established connections stay on the same worker.
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { haproxyConfig, type HaproxyPaths, type Transparent } from "./haproxy-config";
import type { L7Listener } from "../policy";

export const HAPROXY = process.env.PONTON_HAPROXY ?? "haproxy";

export class HaproxyProcess {
  readonly paths: HaproxyPaths & { config: string; out: string };

  /** `test`: the listeners' address, no foreign binds (tests on loopback; pontond: every address). */
  constructor(readonly dir: string, logPath: string, test?: { bind: string; noForeign: true }) {
    this.paths = { pid: path.join(dir, "haproxy.pid"), admin: path.join(dir, "admin.sock"), log: path.join(dir, "log.sock"), config: path.join(dir, "haproxy.cfg"), out: logPath, ...test };
  }

  /** The master's pid when it runs (and is ours: its command line names our configuration). */
  masterPid(): number | undefined {
    try {
      const pid = Number(readFileSync(this.paths.pid, "utf8").trim());
      if (pid > 0 && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(this.paths.config)) return pid;
    } catch {
      // no pid file, or no such process
    }
    return undefined;
  }

  /** Its workers (the master's children). */
  private workers(master: number): number[] {
    try {
      return readFileSync(`/proc/${master}/task/${master}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /**
   * Serve exactly these listeners. Returns whether HAProxy was (re)started or reloaded. Throws
   * (naming the cause) when the binary is missing or refuses the configuration: the caller keeps
   * the kernel's redirect closed then, never open.
   */
  async apply(listeners: L7Listener[], transparent?: Transparent, host: string[] = [], local: string[] = []): Promise<"unchanged" | "started" | "reloaded" | "stopped"> {
    const master = this.masterPid();
    if (listeners.length === 0) {
      // Soft stop: the workers finish what they serve, then everything exits; forgotten at once
      // (its listeners are closed already), so a listener that comes back starts a new HAProxy.
      if (!master) return "unchanged";
      const config = existsSync(this.paths.config) ? readFileSync(this.paths.config, "utf8") : "";
      const ports = [...config.matchAll(/^\s*bind \S*:(\d+)( v6only)?( transparent)?\s*$/gm)].map((m) => Number(m[1]));
      // A master still re-executing itself after a reload can miss the signal: sent again until its
      // listeners are closed (a soft stop closes them at once; connections in flight go on).
      process.kill(master, "SIGUSR1");
      for (let i = 1; i <= 100 && alive(master) && anyListening(ports); i++) {
        await new Promise((r) => setTimeout(r, 20));
        if (i % 25 === 0 && alive(master)) process.kill(master, "SIGUSR1");
      }
      for (const f of [this.paths.pid, this.paths.config]) rmSync(f, { force: true });
      return "stopped";
    }
    const text = haproxyConfig(listeners, this.paths, transparent, host, local);
    const current = existsSync(this.paths.config) ? readFileSync(this.paths.config, "utf8") : undefined;
    if (master && current === text) return "unchanged";
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const next = `${this.paths.config}.next`;
    writeFileSync(next, text, { mode: 0o600 });
    const check = await run(HAPROXY, ["-c", "-q", "-f", next]);
    if (check.code !== 0) throw new Error(`haproxy refused the configuration: ${check.output.trim().split("\n").slice(-3).join("; ")}`);
    renameSync(next, this.paths.config);
    if (master) {
      const before = new Set(this.workers(master));
      process.kill(master, "SIGUSR2");
      await this.until(() => this.workers(master).some((w) => !before.has(w)) && allListening(listeners), "a new HAProxy worker");
      return "reloaded";
    }
    mkdirSync(path.dirname(this.paths.out), { recursive: true });
    const out = openSync(this.paths.out, "a", 0o600);
    try {
      const child = spawn(HAPROXY, ["-D", "-f", this.paths.config], { detached: true, stdio: ["ignore", out, out] });
      const exited = await new Promise<number | null>((resolve, reject) => {
        child.once("error", (e) => reject(new Error(`cannot start ${HAPROXY}: ${e.message} (install the Debian package haproxy)`)));
        child.once("exit", resolve);
      });
      if (exited !== 0) throw new Error(`haproxy exited with code ${exited}; see ${this.paths.out}`);
    } finally {
      closeSync(out);
    }
    await this.until(() => this.masterPid() !== undefined && allListening(listeners), "HAProxy");
    return "started";
  }

  private async until(ok: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 500; i++) {
      if (ok()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`${what} did not come up within 10 s; see ${this.paths.out}`);
  }
}

/** The TCP ports with a listening IPv4 socket in this namespace. */
function listeningPorts(): Set<number> {
  const open = new Set<number>();
  // IPv6 workloads' listeners are in tcp6 (the local address's port is after its last colon).
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === "0A") open.add(parseInt(f[1]!.split(":").pop()!, 16));
    }
  }
  return open;
}

const allListening = (listeners: L7Listener[]): boolean => {
  const open = listeningPorts();
  return listeners.every((l) => open.has(l.listen));
};

const anyListening = (ports: number[]): boolean => {
  const open = listeningPorts();
  return ports.some((p) => open.has(p));
};

/** Running, not a zombie (a daemonized master's parent may be slow to reap it). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

function run(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    c.stdout.on("data", (d: Buffer) => (output += d.toString()));
    c.stderr.on("data", (d: Buffer) => (output += d.toString()));
    c.once("error", (e) => resolve({ code: -1, output: `cannot run ${cmd}: ${e.message} (install the Debian package haproxy)` }));
    c.once("close", (code) => resolve({ code: code ?? -1, output }));
  });
}
