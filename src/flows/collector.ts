// The flow collector: runs bin/ponton-nflog on our NFLOG groups, turns each kernel event into a
// flow record and keeps it in a bounded ring. Restarts the helper if it dies.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { DROP_LOG_GROUP, FLOW_LOG_GROUP } from "../compile/flow-log";
import { FlowRing } from "./ring";
import { isFlowGroup, toFlowRecord, type FlowDirectory, type FlowEndpoint, type NflogEvent } from "./record";

/** Built by `npm run build` next to the other binaries (dist/src/flows -> bin/). */
export const NFLOG_HELPER = process.env.PONTON_NFLOG ?? path.resolve(__dirname, "..", "..", "..", "bin", "ponton-nflog");
const RESTART_DELAY_MS = 1000;
/** The directory is rebuilt at most this often while events flow (labels may change meanwhile). */
const DIRECTORY_MAX_AGE_MS = 250;

export interface CollectorStatus {
  running: boolean;
  helper: string;
  /** Kernel messages lost because we read too slowly (ENOBUFS on the netlink socket). */
  lostBatches: number;
  helperRestarts: number;
  undecodable: number;
  lastError?: string;
}

export class FlowCollector {
  readonly ring: FlowRing;
  private child: ChildProcess | undefined;
  private stopped = false;
  private directory: { at: number; dir: FlowDirectory } | undefined;
  private readonly status: CollectorStatus = { running: false, helper: NFLOG_HELPER, lostBatches: 0, helperRestarts: 0, undecodable: 0 };

  constructor(capacity: number, private readonly buildDirectory: () => FlowDirectory) {
    this.ring = new FlowRing(capacity);
  }

  /** Resolves once the helper listens (so a packet right after start is recorded), or on failure. */
  start(): Promise<void> {
    return new Promise((resolve) => {
      const child = spawn(NFLOG_HELPER, [String(DROP_LOG_GROUP), String(FLOW_LOG_GROUP)], { stdio: ["ignore", "pipe", "pipe"] });
      this.child = child;
      let ready = false;
      const lines = createInterface({ input: child.stdout! });
      lines.on("line", (line) => {
        if (!ready && line.startsWith('{"ready"')) {
          ready = true;
          this.status.running = true;
          resolve();
          return;
        }
        this.onLine(line);
      });
      child.stderr!.on("data", (d: Buffer) => {
        const text = d.toString().trim();
        if (/: .*:/.test(text)) this.status.lastError = text;
      });
      child.on("error", (e) => {
        this.status.lastError = `cannot run ${NFLOG_HELPER}: ${e.message}`;
      });
      child.on("close", () => {
        this.status.running = false;
        if (!ready) resolve();
        if (this.stopped) return;
        this.status.helperRestarts++;
        setTimeout(() => void (this.stopped || this.start()), RESTART_DELAY_MS).unref();
      });
    });
  }

  currentDirectory(): FlowDirectory {
    const now = Date.now();
    if (!this.directory || now - this.directory.at > DIRECTORY_MAX_AGE_MS) this.directory = { at: now, dir: this.buildDirectory() };
    return this.directory.dir;
  }

  /** What the directory knows of an address (DNS flows name their client with it). */
  endpoint(ip: string): FlowEndpoint {
    return this.currentDirectory().byIp.get(ip) ?? { ip };
  }

    /** The state changed: the next record resolves names against the new one. */
  invalidate(): void {
    this.directory = undefined;
  }

  private onLine(line: string): void {
    let e: NflogEvent & { lost?: number };
    try {
      e = JSON.parse(line) as NflogEvent & { lost?: number };
    } catch {
      this.status.undecodable++;
      return;
    }
    if (e.lost) {
      this.status.lostBatches += e.lost;
      return;
    }
    if (!isFlowGroup(e.g)) return;
    const r = toFlowRecord(e, this.currentDirectory(), this.ring.nextSeq());
    if (r) this.ring.push(r);
    else this.status.undecodable++;
  }

  info(): CollectorStatus & { buffer: { capacity: number; used: number; fill: number }; recorded: number; flowsPerSecond: number } {
    return {
      ...this.status,
      buffer: { capacity: this.ring.capacity, used: this.ring.size, fill: this.ring.size / this.ring.capacity },
      recorded: this.ring.total,
      flowsPerSecond: this.ring.rate(),
    };
  }

  stop(): void {
    this.stopped = true;
    this.child?.kill("SIGTERM");
  }
}
