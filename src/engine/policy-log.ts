// The policy log: flow records that policies' `ponton.dev/log` select, one line each, in
// <state>/logs/policy.log (rotated to policy.log.1 at 16 MiB, so disk use is bounded).
import { createWriteStream, renameSync, statSync, type WriteStream } from "node:fs";
import path from "node:path";
import { flowLine, policiesLogging, type FlowRecord, type FlowRing } from "../flows";
import type { PolicyLog } from "../policy";
import { logDir } from "./config";
import type { EngineContext } from "./context";

const MAX_BYTES = 16 * 1024 * 1024;

export const policyLogFile = (ctx: EngineContext) => path.join(logDir(ctx.config), "policy.log");

export class PolicyLogWriter {
  private settings: Map<string, PolicyLog | undefined> | undefined;
  private out: WriteStream | undefined;
  private bytes = 0;
  private readonly file: string;

  constructor(private readonly ctx: EngineContext) {
    this.file = policyLogFile(ctx);
  }

  attach(ring: FlowRing): () => void {
    return ring.subscribe((r) => this.record(r));
  }

  /** Policies changed: read their settings again on the next record. */
  invalidate(): void {
    this.settings = undefined;
  }

  private record(r: FlowRecord): void {
    this.settings ??= new Map(this.ctx.store.policies().map((p) => [`${p.policy.namespace}/${p.policy.name}`, p.policy.log]));
    const policies = policiesLogging(r, this.settings);
    if (policies.length) this.write(`policy=${policies.join(",")}  ${flowLine(r)}\n`);
  }

  private write(line: string): void {
    if (!this.out) {
      try {
        this.bytes = statSync(this.file).size;
      } catch {
        this.bytes = 0;
      }
      this.out = createWriteStream(this.file, { flags: "a" });
      this.out.on("error", () => (this.out = undefined));
    }
    this.out.write(line);
    this.bytes += Buffer.byteLength(line);
    if (this.bytes > MAX_BYTES) {
      // The open stream finishes into the renamed file; the next line opens a new one.
      this.out.end();
      this.out = undefined;
      renameSync(this.file, `${this.file}.1`);
    }
  }

  close(): void {
    this.out?.end();
  }
}
