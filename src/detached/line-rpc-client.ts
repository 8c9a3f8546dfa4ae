// pontond's side of a detached helper (the port holder): connects to the one that runs
// — it outlives pontond — or starts it, detached, in this (the host's) network namespace; requests
// are JSON lines matched to answers by id. Lines without a pending id are pushes (`onPush`).
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import net from "node:net";
import path from "node:path";

export interface DetachedHelper<Reply> {
  /** Named in errors: "the port holder". */
  name: string;
  socketPath: string;
  /** Its stdout and stderr, in pontond's logs (0600). */
  logPath: string;
  /** The compiled entry point and Node's options for it. */
  main: string;
  nodeArgs?: string[];
  /** A line that answers no request; return true when it was consumed. */
  onPush?: (reply: Reply) => boolean;
  /** The connection ended; `lost`: without close() (the helper died or was killed). */
  onClose?: (lost: boolean) => void;
}

type Pending<Reply> = { resolve: (r: Reply) => void; reject: (e: Error) => void };

export class LineRpcClient<Reply> {
  private conn: net.Socket | undefined;
  private readonly pending = new Map<number, Pending<Reply>>();
  private nextId = 1;

  constructor(private readonly helper: DetachedHelper<Reply>) {}

  get connected(): boolean {
    return this.conn !== undefined && !this.conn.destroyed;
  }

  async request(body: object): Promise<Reply> {
    const conn = await this.connect(true);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      conn!.write(`${JSON.stringify({ id, ...body })}\n`);
    });
  }

  /** The running helper, or (with `start`) a new one; undefined when none runs and none was asked for. */
  async connect(start: boolean): Promise<net.Socket | undefined> {
    if (this.conn && !this.conn.destroyed) return this.conn;
    let c = await this.tryConnect();
    if (!c && start) {
      this.spawnHelper();
      for (let i = 0; i < 250 && !c; i++) {
        await new Promise((r) => setTimeout(r, 20));
        c = await this.tryConnect();
      }
      if (!c) throw new Error(`${this.helper.name} did not start (see ${this.helper.logPath})`);
    }
    if (c) this.attach(c);
    return c;
  }

  close(): void {
    const c = this.conn;
    this.conn = undefined;
    c?.destroy();
  }

  private tryConnect(): Promise<net.Socket | undefined> {
    return new Promise((resolve) => {
      const c = net.connect(this.helper.socketPath, () => resolve(c));
      c.once("error", () => resolve(undefined));
    });
  }

  private attach(c: net.Socket): void {
    this.conn = c;
    c.on("error", () => undefined);
    let buffered = "";
    c.on("data", (chunk) => {
      buffered += chunk.toString("utf8");
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const reply = JSON.parse(buffered.slice(0, nl)) as Reply;
        buffered = buffered.slice(nl + 1);
        if (this.helper.onPush?.(reply)) continue;
        const id = (reply as { id?: number }).id ?? -1;
        this.pending.get(id)?.resolve(reply);
        this.pending.delete(id);
      }
    });
    c.on("close", () => {
      const lost = this.conn === c;
      if (lost) this.conn = undefined;
      this.helper.onClose?.(lost);
      for (const p of this.pending.values()) p.reject(new Error(`${this.helper.name} went away`));
      this.pending.clear();
    });
  }

  /** Detached: it must outlive a pontond restart. */
  private spawnHelper(): void {
    mkdirSync(path.dirname(this.helper.logPath), { recursive: true });
    const log = openSync(this.helper.logPath, "a", 0o600); // in pontond's logs: root's alone, whatever the umask
    const child = spawn(process.execPath, [...(this.helper.nodeArgs ?? []), this.helper.main, this.helper.socketPath], { detached: true, stdio: ["ignore", log, log], cwd: "/" });
    child.unref();
    closeSync(log);
  }
}
