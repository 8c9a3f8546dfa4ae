// Where each service port's endpoints live in the shared endpoint maps. The scheduler rule of a
// service port writes `ct mark set numgen … mod N offset BASE`; svc_dnat reads that slot in
// @svc_eps (@svc_eps6): no set per service. A set per service
// (anonymous `map { … }`) made every nft call fetch one set per service, and the kernel allocates
// anonymous set names by scanning the table's sets: ~30 s to load 10,000 services with endpoints,
// 60–100 ms per later change, 4 s to list one chain.

import { SERVICE_SLOT_MARK } from "../../policy/plan/ids";

/** Slots per block: big enough for maglev's largest table (65,521) and any expanded wrr. */
export const BLOCK_SLOTS = 65536;
/** 2^31 slots / 2^16: a slot is a ct mark with the top bit set (policy decision ids have 31 bits).
 * Beyond this, ports fall back to a map of their own. */
const MAX_BLOCKS = 32768;

/**
 * Block per scheduler chain, kept while the chain exists so an unchanged service keeps its rule
 * text (the diff skips it). Not persisted: a full reload rewrites every rule and element at once.
 */
export class SlotBlocks {
  private readonly byChain = new Map<string, number>();
  private readonly free: number[] = [];
  private next = 0;

  /** The first slot (a ct mark) of this chain's block, or undefined when all blocks are taken. */
  baseOf(chain: string): number | undefined {
    let block = this.byChain.get(chain);
    if (block === undefined) {
      block = this.free.pop() ?? (this.next < MAX_BLOCKS ? this.next++ : undefined);
      if (block === undefined) return undefined;
      this.byChain.set(chain, block);
    }
    return SERVICE_SLOT_MARK + block * BLOCK_SLOTS;
  }

  /** Frees the blocks of chains that no longer exist (after the compile that dropped them: a
   * block is never handed to another chain within the transaction that still deletes its elements). */
  release(chains: Iterable<string>): void {
    for (const chain of chains) {
      const block = this.byChain.get(chain);
      if (block === undefined) continue;
      this.byChain.delete(chain);
      this.free.push(block);
    }
  }

  /** The same assignment, independent from now on (a from-scratch compile compared with an incremental one). */
  clone(): SlotBlocks {
    const c = new SlotBlocks();
    for (const [chain, block] of this.byChain) c.byChain.set(chain, block);
    c.free.push(...this.free);
    c.next = this.next;
    return c;
  }
}
