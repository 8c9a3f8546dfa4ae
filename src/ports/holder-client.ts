// pontond's side of the port holder: connects to the running one (it outlives pontond) or starts it.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { holdKey, type HoldEntry, type HoldResult, type HolderReply, type HolderRequest, type HolderStatus } from "./holder-protocol";

type Pending = { resolve: (r: HolderReply) => void; reject: (e: Error) => void };
type Body = { op: "hold" | "sync"; entries: HoldEntry[] } | { op: "status" };

export interface PortHolder {
  /** Bind these too (port 0: a free one); results in order. */
  hold(entries: HoldEntry[]): Promise<HoldResult[]>;
  /** Hold exactly these. */
  sync(entries: HoldEntry[]): Promise<HoldResult[]>;
  /** Those of these that the last whole sync did not hold (all of them when unknown). */
  unsynced(entries: HoldEntry[]): HoldEntry[];
  /** undefined when no holder runs. */
  status(): Promise<HolderStatus | undefined>;
  close(): void;
}

export class HolderClient implements PortHolder {
  private conn: net.Socket | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** The last set the holder confirmed whole, and its sockets. */
  private synced: string | undefined;
  private syncedKeys = new Set<string>();

  constructor(
    private readonly socketPath: string,
    private readonly logPath: string,
  ) {}

  hold(entries: HoldEntry[]): Promise<HoldResult[]> {
    this.synced = undefined;
    return this.results({ op: "hold", entries });
  }

  async sync(entries: HoldEntry[]): Promise<HoldResult[]> {
    // Most changes leave the ports as they were: say nothing then (the connection is the same holder).
    const text = JSON.stringify(entries);
    if (text === this.synced && this.conn && !this.conn.destroyed) return entries.map((e) => ({ port: e.port }));
    // Nothing to hold and no holder running: do not start one to hold nothing.
    if (entries.length === 0 && !(await this.connect(false))) return [];
    const results = await this.results({ op: "sync", entries });
    this.synced = results.some((r) => r.error) ? undefined : text;
    this.syncedKeys = new Set(this.synced === undefined ? [] : entries.map(holdKey));
    return results;
  }

  unsynced(entries: HoldEntry[]): HoldEntry[] {
    if (this.synced === undefined) return entries;
    return entries.filter((e) => !this.syncedKeys.has(holdKey(e)));
  }

  async status(): Promise<HolderStatus | undefined> {
    if (!(await this.connect(false))) return undefined;
    const r = await this.request({ op: "status" });
    return "status" in r ? r.status : undefined;
  }

  close(): void {
    this.conn?.destroy();
    this.conn = undefined;
  }

  private async results(body: Body): Promise<HoldResult[]> {
    const r = await this.request(body);
    if ("results" in r) return r.results;
    throw new Error(`port holder: ${"error" in r ? r.error : "unexpected reply"}`);
  }

  private async request(body: Body): Promise<HolderReply> {
    const conn = await this.connect(true);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      conn!.write(`${JSON.stringify({ id, ...body } as HolderRequest)}\n`);
    });
  }

  private async connect(start: boolean): Promise<net.Socket | undefined> {
    if (this.conn && !this.conn.destroyed) return this.conn;
    let c = await this.tryConnect();
    if (!c && start) {
      this.spawnHolder();
      for (let i = 0; i < 250 && !c; i++) {
        await new Promise((r) => setTimeout(r, 20));
        c = await this.tryConnect();
      }
      if (!c) throw new Error(`the port holder did not start (see ${this.logPath})`);
    }
    if (c) this.attach(c);
    return c;
  }

  private tryConnect(): Promise<net.Socket | undefined> {
    return new Promise((resolve) => {
      const c = net.connect(this.socketPath, () => resolve(c));
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
        const reply = JSON.parse(buffered.slice(0, nl)) as HolderReply;
        buffered = buffered.slice(nl + 1);
        this.pending.get(reply.id)?.resolve(reply);
        this.pending.delete(reply.id);
      }
    });
    c.on("close", () => {
      if (this.conn === c) this.conn = undefined;
      this.synced = undefined;
      for (const p of this.pending.values()) p.reject(new Error("the port holder went away"));
      this.pending.clear();
    });
  }

  /** Detached, in this (the host's) network namespace: it must outlive a pontond restart. */
  private spawnHolder(): void {
    mkdirSync(path.dirname(this.logPath), { recursive: true });
    const log = openSync(this.logPath, "a", 0o600); // in pontond's logs: root's alone, whatever the umask
    const child = spawn(process.execPath, ["--max-old-space-size=64", path.join(__dirname, "holder-main.js"), this.socketPath], {
      detached: true,
      stdio: ["ignore", log, log],
      cwd: "/",
    });
    child.unref();
    closeSync(log);
  }
}
