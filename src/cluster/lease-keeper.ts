// The daemon's side of the lease thread (lease-worker.ts): grant a lease, hear when it is lost,
// revoke it when the node leaves. Only the lease's id crosses over; puts under it are the daemon's.
import path from "node:path";
import { Worker } from "node:worker_threads";
import type { EtcdCredentials } from "./etcd";

export interface LeaseWorkerData {
  endpoints: string[];
  credentials?: EtcdCredentials;
}
export type ToLeaseWorker = { op: "grant"; ttl: number; seq: number } | { op: "revoke"; seq: number };
export type FromLeaseWorker = { seq: number; id?: string; error?: string } | { lost: string };

export class LeaseKeeper {
  private readonly worker: Worker;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (id: string | undefined) => void; reject: (e: Error) => void }>();
  private gone: Error | undefined;
  /** The lease held expired (etcd away longer than its TTL): grant a new one. */
  onLost: ((why: string) => void) | undefined;

  constructor(data: LeaseWorkerData) {
    this.worker = new Worker(path.join(__dirname, "lease-worker.js"), { workerData: data });
    // The thread never keeps the daemon up: it ends with it.
    this.worker.unref();
    this.worker.on("message", (m: FromLeaseWorker) => {
      if ("lost" in m) return this.onLost?.(m.lost);
      const p = this.pending.get(m.seq);
      this.pending.delete(m.seq);
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve(m.id);
    });
    const end = (e: Error) => {
      this.gone = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on("error", (e) => end(new Error(`lease thread: ${e.message}`)));
    this.worker.on("exit", (code) => end(new Error(`lease thread exited (${code})`)));
  }

  /** A new lease of `ttl` seconds, kept alive from now on; resolves with its id. */
  async grant(ttl: number): Promise<string> {
    return (await this.ask({ op: "grant", ttl, seq: 0 }))!;
  }

  /** Revoke the lease (the node leaves: what lives under it goes at once) and end the thread. */
  async close(): Promise<void> {
    await this.ask({ op: "revoke", seq: 0 }).catch(() => undefined);
    await this.worker.terminate();
  }

  private ask(m: ToLeaseWorker): Promise<string | undefined> {
    if (this.gone) return Promise.reject(this.gone);
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.worker.postMessage({ ...m, seq });
    });
  }
}
