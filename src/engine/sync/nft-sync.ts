// Keeps what was last committed to our nftables table and sends only the difference.
import { withBuiltinServices } from "../services/kubernetes-service";
import { compileNft, diffOps, renderFull, renderOps, withPresentDevices, DEFAULT_COMPILE_OPTIONS, type CompileOptions, type NftOp, type NftPlan } from "../../compile";
import type { DesiredState } from "../../model/types";
import type { Kernel } from "../../kernel";
import { EMPTY_RUNTIME, type ServiceRuntime } from "../../model/services/service";

export class NftSync {
  private committed: NftPlan | undefined;
  /** Times an incremental diff was refused and the whole table replaced instead (a metric; 0 when healthy). */
  diffFallbacks = 0;
  /** Incremental commits by path: netlink from the batch writer, or `nft -f` (forms it does not encode). */
  readonly commits = { netlink: 0, nft: 0 };
  /** Observed service facts (health, connection counts) the compile takes into account. */
  runtime: ServiceRuntime = EMPTY_RUNTIME;
  /** Daemon options the table depends on (pontond --flow-log, --forward-others, --dns-port; the overlay in cluster mode). */
  options: CompileOptions = { ...DEFAULT_COMPILE_OPTIONS };
  /** Cluster mode: the other nodes' workloads added to the state before it is compiled. */
  extend: (state: DesiredState) => DesiredState = (state) => state;

  /** What the kernel and the resolver serve: the stored state, the other nodes' workloads, the built-in services. */
  served(state: DesiredState): DesiredState {
    return withBuiltinServices(this.extend(state));
  }
  /** Lines appended to a full reload, same transaction: what the kernel learned at run time (toFQDNs) survives it. */
  carry: ((plan: NftPlan) => string) | undefined;
  /** Called after each commit with the previous plan (services clean conntrack up from it). */
  onCommit: ((from: NftPlan | undefined, to: NftPlan) => void) | undefined;
  /** Flowtable offload on: the interfaces that exist now (the flowtable is given only those). */
  presentLinks: (() => Promise<ReadonlySet<string>>) | undefined;
  /** Awaited before a plan reaches the kernel (the L7 proxy listens before nft redirects to it). */
  beforeCommit: ((to: NftPlan) => Promise<void>) | undefined;
  /** Before the table is replaced whole (its counters restart at 0); what it returns runs once the new table is in. */
  replacing: (() => Promise<() => void>) | undefined;

  /** The last committed plan (read-only use). */
  get current(): NftPlan | undefined {
    return this.committed;
  }

  private commit(from: NftPlan | undefined, to: NftPlan): void {
    this.committed = to;
    this.onCommit?.(from, to);
  }

  constructor(private readonly kernel: Kernel) {}

  /** Incremental when possible: a few elements and rules in one transaction. `given`: planFor(state), made already. */
  async sync(state: DesiredState, given?: NftPlan): Promise<void> {
    const plan = given ?? (await this.planFor(state));
    if (this.committed) {
      const ops = diffOps(this.committed, plan);
      if (ops?.length === 0) {
        // Nothing for the kernel, but what rides on the plan may have moved: a policy's HTTP rules
        // (HAProxy's configuration) and rules.dns/toFQDNs (the resolver reads the committed plan).
        if (JSON.stringify(this.committed.policy.l7) !== JSON.stringify(plan.policy.l7)) await this.beforeCommit?.(plan);
        this.commit(this.committed, plan);
        return;
      }
      if (ops !== undefined) {
        await this.beforeCommit?.(plan);
        try {
          this.commits[await this.send(ops)]++;
          this.commit(this.committed, plan);
          return;
        } catch {
          // The table drifted from what we committed (someone edited it): replace it whole.
          this.diffFallbacks++;
        }
      }
    }
    await this.full(state, plan);
  }

  /** One transaction: over netlink when every operation is encodable; interval elements only with --policy-delta (off: through `nft`, as before it). */
  private async send(ops: NftOp[]): Promise<"netlink" | "nft"> {
    const intervals = ops.some((o) => (o.op === "addElements" || o.op === "deleteElements") && o.set.flags?.includes("interval"));
    if (intervals && this.options.policyDelta === false) {
      await this.kernel.nft(renderOps(ops));
      return "nft";
    }
    return this.kernel.nftOps(ops);
  }

  /** Replace the whole table atomically (start-up, reconcile, a change made by someone else). */
  async full(state: DesiredState, given?: NftPlan): Promise<void> {
    const plan = given ?? (await this.planFor(state));
    const before = this.committed;
    this.committed = undefined;
    await this.beforeCommit?.(plan);
    const replaced = await this.replacing?.();
    await this.kernel.nft(renderFull(plan) + (this.carry?.(plan) ?? ""));
    replaced?.();
    this.commit(before, plan);
  }

  /** The plan sync(state) commits: a change validated by it hands it to sync() (one compile per change). */
  async planFor(state: DesiredState): Promise<NftPlan> {
    const plan = compileNft(this.served(state), this.runtime, this.options);
    return plan.offload && this.presentLinks ? withPresentDevices(plan, await this.presentLinks()) : plan;
  }

  /** A user rule is checked against the real table before it is stored. */
  async check(state: DesiredState): Promise<void> {
    await this.kernel.nftCheck(renderFull(compileNft(this.served(state), this.runtime, this.options)));
  }
}
