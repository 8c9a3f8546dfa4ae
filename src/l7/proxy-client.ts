// pontond's side of the L7 proxy: connects to the running one (it outlives pontond) or starts it,
// hands it the listeners of every policy change and receives its request records.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import type { L7Listener } from "../policy";
import type { L7Event, ListenResult, ProxyReply, ProxyRequest, ProxyStatus } from "./proxy-protocol";

type Pending = { resolve: (r: ProxyReply) => void; reject: (e: Error) => void };
type Body = { op: "sync"; listeners: L7Listener[] } | { op: "status" };

export class ProxyClient {
  private conn: net.Socket | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private synced: string | undefined;

  constructor(
    private readonly socketPath: string,
    private readonly logPath: string,
    /** Records as the proxy sends them, with its count of records lost while no pontond listened. */
    private readonly onRecords: (records: L7Event[], lost: number) => void,
    /** The connection to the proxy ended without close() (the proxy died or was killed). */
    private readonly onLost: () => void = () => undefined,
  ) {}

  /** Serve exactly these listeners (none: a running proxy is told so and exits once idle). */
  async sync(listeners: L7Listener[]): Promise<ListenResult[]> {
    const text = JSON.stringify(listeners);
    if (text === this.synced && this.conn && !this.conn.destroyed) return listeners.map((l) => ({ listen: l.listen }));
    if (listeners.length === 0 && !(await this.connect(false))) return [];
    const r = await this.request({ op: "sync", listeners });
    if (!("results" in r)) throw new Error(`L7 proxy: ${"error" in r ? r.error : "unexpected reply"}`);
    this.synced = r.results.some((x) => x.error) ? undefined : text;
    return r.results;
  }

  /** Connects to a proxy that runs (after a pontond restart) so its records flow again. */
  async reattach(): Promise<void> {
    await this.connect(false);
  }

  async status(): Promise<ProxyStatus | undefined> {
    if (!(await this.connect(false))) return undefined;
    const r = await this.request({ op: "status" });
    return "status" in r ? r.status : undefined;
  }

  close(): void {
    const c = this.conn;
    this.conn = undefined;
    c?.destroy();
  }

  private async request(body: Body): Promise<ProxyReply> {
    const conn = await this.connect(true);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      conn!.write(`${JSON.stringify({ id, ...body } as ProxyRequest)}\n`);
    });
  }

  private async connect(start: boolean): Promise<net.Socket | undefined> {
    if (this.conn && !this.conn.destroyed) return this.conn;
    let c = await this.tryConnect();
    if (!c && start) {
      this.spawnProxy();
      for (let i = 0; i < 250 && !c; i++) {
        await new Promise((r) => setTimeout(r, 20));
        c = await this.tryConnect();
      }
      if (!c) throw new Error(`the L7 proxy did not start (see ${this.logPath})`);
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
        const reply = JSON.parse(buffered.slice(0, nl)) as ProxyReply;
        buffered = buffered.slice(nl + 1);
        if ("records" in reply) {
          this.onRecords(reply.records, reply.lost);
          continue;
        }
        this.pending.get(reply.id)?.resolve(reply);
        this.pending.delete(reply.id);
      }
    });
    c.on("close", () => {
      const lost = this.conn === c;
      if (lost) this.conn = undefined;
      this.synced = undefined;
      if (lost) setImmediate(this.onLost);
      for (const p of this.pending.values()) p.reject(new Error("the L7 proxy went away"));
      this.pending.clear();
    });
  }

  /** Detached, in the host's network namespace: it must outlive a pontond restart. */
  private spawnProxy(): void {
    mkdirSync(path.dirname(this.logPath), { recursive: true });
    const log = openSync(this.logPath, "a", 0o600);
    const child = spawn(process.execPath, [path.join(__dirname, "proxy-main.js"), this.socketPath], { detached: true, stdio: ["ignore", log, log], cwd: "/" });
    child.unref();
    closeSync(log);
  }
}
