// The policy log: flow records that policies' `ponton.dev/log` select, one line each, in
// <state>/logs/policy.log (rotated to policy.log.1 at 16 MiB, so disk use is bounded).
import path from "node:path";
import { flowLine, policiesLogging, type FlowRecord, type FlowRing } from "../../flows";
import { policyKey, type PolicyLog } from "../../policy";
import { logDir } from "../config";
import type { EngineContext } from "../context";
import { RotatingFile } from "../files/rotating-file";

const MAX_BYTES = 16 * 1024 * 1024;

export const policyLogFile = (ctx: EngineContext) => path.join(logDir(ctx.config), "policy.log");

export class PolicyLogWriter {
  private settings: Map<string, PolicyLog | undefined> | undefined;
  private readonly out: RotatingFile;

  constructor(private readonly ctx: EngineContext) {
    this.out = new RotatingFile(policyLogFile(ctx), MAX_BYTES);
  }

  /** Records are built for the log only when a policy's settings select their decision. */
  attach(ring: FlowRing): () => void {
    return ring.subscribe(
      (r) => this.record(r),
      (d) => policiesLogging(d, this.currentSettings()).length > 0,
    );
  }

  /** Policies changed: read their settings again on the next record. */
  invalidate(): void {
    this.settings = undefined;
  }

  private currentSettings(): Map<string, PolicyLog | undefined> {
    return (this.settings ??= new Map(this.ctx.store.policies().map((p) => [policyKey(p.policy), p.policy.log])));
  }

  private record(r: FlowRecord): void {
    const policies = policiesLogging(r, this.currentSettings());
    if (policies.length) this.out.write(`policy=${policies.join(",")}  ${flowLine(r)}\n`);
  }

  close(): void {
    this.out.close();
  }
}
