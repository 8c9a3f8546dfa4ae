// Keeps what was last committed to our nftables table and sends only the difference.
import { compileNft, renderDiff, renderFull, FORWARD_RULE_COUNT, type NftPlan } from "../compile";
import type { DesiredState } from "../model/types";
import type { Kernel } from "../kernel";

export class NftSync {
  private committed: NftPlan | undefined;
  /** Times the table was found damaged and rebuilt (a metric). */
  heals = 0;

  constructor(private readonly kernel: Kernel) {}

  /** Incremental when possible: a few element lines in one transaction. */
  async sync(state: DesiredState): Promise<void> {
    const plan = compileNft(state);
    if (this.committed) {
      const diff = renderDiff(this.committed, plan);
      if (diff === "") return;
      if (diff !== undefined) {
        try {
          await this.kernel.nft(diff);
          this.committed = plan;
          return;
        } catch {
          // The table drifted from what we committed (someone edited it): replace it whole.
        }
      }
    }
    await this.full(state, plan);
  }

  /** Replace the whole table atomically (start-up, reconcile, drift). */
  async full(state: DesiredState, plan: NftPlan = compileNft(state)): Promise<void> {
    this.committed = undefined;
    await this.kernel.nft(renderFull(plan));
    this.committed = plan;
  }

  /** Cheap drift check (one small chain listed, never the sets): rebuild if the table was flushed or deleted. */
  async heal(state: () => DesiredState): Promise<boolean> {
    if ((await this.kernel.ruleCount("forward")) === FORWARD_RULE_COUNT) return false;
    await this.full(state());
    this.heals++;
    return true;
  }

  /** A user rule is checked against the real table before it is stored. */
  async check(state: DesiredState): Promise<void> {
    await this.kernel.nftCheck(renderFull(compileNft(state)));
  }
}
