// The flow collector: runs bin/ponton-nflog on our NFLOG groups, reads its binary frames and
// keeps each logged packet in a bounded ring (a record is built only when read). Restarts the
// helper if it dies. Nothing is lost silently: packets the kernel could not hand us are counted.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { DROP_LOG_GROUP, FLOW_LOG_GROUP } from "../compile/flow-log";
import { FlowIndex, readableVersion } from "./flow-slot";
import { FrameReader } from "./nflog-frames";
import { FlowRing } from "./ring";
import { isFlowGroup, type FlowDirectory, type FlowEndpoint } from "./record";

/** Built by `npm run build` next to the other binaries (dist/src/flows -> bin/). */
export const NFLOG_HELPER = process.env.PONTON_NFLOG ?? path.resolve(__dirname, "..", "..", "..", "bin", "ponton-nflog");
const RESTART_DELAY_MS = 1000;
/** The directory is rebuilt at most this often while events flow (labels may change meanwhile). */
const DIRECTORY_MAX_AGE_MS = 250;

export interface CollectorStatus {
  running: boolean;
  helper: string;
  /** Times the kernel found the netlink socket full because we read too slowly (ENOBUFS). */
  lostBatches: number;
  /** Logged packets that never reached a record: gaps in the kernel's sequence numbers. */
  lostRecords: number;
  helperRestarts: number;
  undecodable: number;
  lastError?: string;
}

export class FlowCollector {
  readonly ring: FlowRing;
  private child: ChildProcess | undefined;
  private stopped = false;
  private directory: { at: number; dir: FlowDirectory; index?: FlowIndex } | undefined;
  /** The helper's numbered strings (interface names, log prefixes). */
  private strings: (string | undefined)[] = [];
  private readonly status: CollectorStatus = { running: false, helper: NFLOG_HELPER, lostBatches: 0, lostRecords: 0, helperRestarts: 0, undecodable: 0 };

  constructor(capacity: number, private readonly buildDirectory: () => FlowDirectory) {
    this.ring = new FlowRing(capacity);
  }

  /** Resolves once the helper listens (so a packet right after start is recorded), or on failure. */
  start(): Promise<void> {
    return new Promise((resolve) => {
      const child = spawn(NFLOG_HELPER, [String(DROP_LOG_GROUP), String(FLOW_LOG_GROUP)], { stdio: ["ignore", "pipe", "pipe"] });
      this.child = child;
      let ready = false;
      this.strings = [];
      const frames = new FrameReader({
        packet: (b, at, length, group, inId, outId, prefixId, mark, time) => this.packet(b, at, length, group, inId, outId, prefixId, mark, time),
        string: (id, text) => (this.strings[id] = text),
        lost: (packets, overflows) => {
          this.status.lostRecords += packets;
          this.status.lostBatches += overflows;
        },
        forget: () => (this.strings = []),
        ready: () => {
          ready = true;
          this.status.running = true;
          resolve();
        },
        corrupt: () => {
          this.status.lastError = "unreadable output from the NFLOG helper: restarting it";
          child.kill("SIGTERM");
        },
      });
      child.stdout!.on("data", (chunk: Buffer) => frames.push(chunk));
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

  private packet(bytes: Buffer, at: number, length: number, group: number, inId: number, outId: number, prefixId: number, mark: number, time: number): void {
    if (!isFlowGroup(group)) return;
    const version = readableVersion(bytes, at, length);
    if (!version) {
      this.status.undecodable++;
      return;
    }
    this.currentDirectory();
    const d = this.directory!;
    const s = this.strings;
    this.ring.pushPacket((d.index ??= new FlowIndex(d.dir)), bytes, at, length, version, group, s[inId], s[outId], s[prefixId], mark, time);
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
