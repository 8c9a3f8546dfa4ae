// pontond's side of the L7 proxy: connects to the running one (it outlives pontond) or starts it,
// hands it the listeners of every policy change and receives its request records.
import path from "node:path";
import { LineRpcClient } from "../detached/line-rpc-client";
import type { L7Listener } from "../policy";
import type { L7Event, ListenResult, ProxyReply, ProxyStatus } from "./proxy-protocol";

type Body = { op: "sync"; listeners: L7Listener[] } | { op: "status" };

export class ProxyClient {
  private readonly rpc: LineRpcClient<ProxyReply>;
  private synced: string | undefined;

  constructor(
    socketPath: string,
    logPath: string,
    /** Records as the proxy sends them, with its count of records lost while no pontond listened. */
    onRecords: (records: L7Event[], lost: number) => void,
    /** The connection to the proxy ended without close() (the proxy died or was killed). */
    onLost: () => void = () => undefined,
  ) {
    this.rpc = new LineRpcClient<ProxyReply>({
      name: "the L7 proxy",
      socketPath,
      logPath,
      main: path.join(__dirname, "proxy-main.js"),
      onPush: (reply) => {
        if (!("records" in reply)) return false;
        onRecords(reply.records, reply.lost);
        return true;
      },
      onClose: (lost) => {
        this.synced = undefined;
        if (lost) setImmediate(onLost);
      },
    });
  }

  /** Serve exactly these listeners (none: a running proxy is told so and exits once idle). */
  async sync(listeners: L7Listener[]): Promise<ListenResult[]> {
    const text = JSON.stringify(listeners);
    if (text === this.synced && this.rpc.connected) return listeners.map((l) => ({ listen: l.listen }));
    if (listeners.length === 0 && !(await this.rpc.connect(false))) return [];
    const r = await this.rpc.request({ op: "sync", listeners } satisfies Body);
    if (!("results" in r)) throw new Error(`L7 proxy: ${"error" in r ? r.error : "unexpected reply"}`);
    this.synced = r.results.some((x) => x.error) ? undefined : text;
    return r.results;
  }

  /** Connects to a proxy that runs (after a pontond restart) so its records flow again. */
  async reattach(): Promise<void> {
    await this.rpc.connect(false);
  }

  async status(): Promise<ProxyStatus | undefined> {
    if (!(await this.rpc.connect(false))) return undefined;
    const r = await this.rpc.request({ op: "status" } satisfies Body);
    return "status" in r ? r.status : undefined;
  }

  close(): void {
    this.rpc.close();
  }
}
