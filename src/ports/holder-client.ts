// pontond's side of the port holder: connects to the running one (it outlives pontond) or starts it.
import path from "node:path";
import { LineRpcClient } from "../detached/line-rpc-client";
import { holdKey, type HoldEntry, type HoldResult, type HolderReply, type HolderStatus } from "./holder-protocol";

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
  private readonly rpc: LineRpcClient<HolderReply>;
  /** The last set the holder confirmed whole, and its sockets. */
  private synced: string | undefined;
  private syncedKeys = new Set<string>();

  constructor(socketPath: string, logPath: string) {
    this.rpc = new LineRpcClient<HolderReply>({
      name: "the port holder",
      socketPath,
      logPath,
      main: path.join(__dirname, "holder-main.js"),
      nodeArgs: ["--max-old-space-size=64"],
      onClose: () => void (this.synced = undefined),
    });
  }

  hold(entries: HoldEntry[]): Promise<HoldResult[]> {
    this.synced = undefined;
    return this.results({ op: "hold", entries });
  }

  async sync(entries: HoldEntry[]): Promise<HoldResult[]> {
    // Most changes leave the ports as they were: say nothing then (the connection is the same holder).
    const text = JSON.stringify(entries);
    if (text === this.synced && this.rpc.connected) return entries.map((e) => ({ port: e.port }));
    // Nothing to hold and no holder running: do not start one to hold nothing.
    if (entries.length === 0 && !(await this.rpc.connect(false))) return [];
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
    if (!(await this.rpc.connect(false))) return undefined;
    const r = await this.rpc.request({ op: "status" } satisfies Body);
    return "status" in r ? r.status : undefined;
  }

  close(): void {
    this.rpc.close();
  }

  private async results(body: Body): Promise<HoldResult[]> {
    const r = await this.rpc.request(body);
    if ("results" in r) return r.results;
    throw new Error(`port holder: ${"error" in r ? r.error : "unexpected reply"}`);
  }
}
