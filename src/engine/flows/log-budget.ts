// Records the kernel's log rate limits dropped: every rate-limited log statement sits between two
// named counters (compile/flow-log.ts LOG_COUNTERS), so seen − logged is exactly the packets over
// the limit, which never became a record. Read when asked (flow status, metrics); the counters
// restart at 0 when the table is replaced whole, so what they held is kept here first.
import { LOG_COUNTERS } from "../../compile/flow-log";
import { NFT_FAMILY, NFT_TABLE } from "../../compile/names";
import type { EngineContext } from "../context";

export interface RateLimited {
  /** Drops (engine drop chains, policy drops, user rules) not logged: over DROP_LOG_RATE. */
  drop: number;
  /** New connections not logged: over FLOW_LOG_RATE. */
  flow: number;
}

/** seen − logged per kind from `nft -j list counters` output (a counter missing counts 0). */
export function overLimit(json: string): RateLimited {
  const packets = new Map<string, number>();
  for (const o of (JSON.parse(json) as { nftables?: { counter?: { name: string; packets: number } }[] }).nftables ?? []) {
    if (o.counter) packets.set(o.counter.name, o.counter.packets);
  }
  const over = (seen: string, logged: string) => Math.max(0, (packets.get(seen) ?? 0) - (packets.get(logged) ?? 0));
  return { drop: over(LOG_COUNTERS.dropSeen, LOG_COUNTERS.dropLogged), flow: over(LOG_COUNTERS.flowSeen, LOG_COUNTERS.flowLogged) };
}

export class LogBudget {
  /** What replaced tables held. */
  private readonly before: RateLimited = { drop: 0, flow: 0 };
  private now: RateLimited = { drop: 0, flow: 0 };
  private started = false;

  constructor(private readonly ctx: EngineContext) {}

  /** Reads the table's counters (none yet: 0). */
  async read(): Promise<RateLimited> {
    const r = await this.ctx.exec.run("nft", ["-j", "list", "counters", "table", NFT_FAMILY, NFT_TABLE]).catch(() => undefined);
    if (r?.stdout) this.now = overLimit(r.stdout);
    return this.total();
  }

  total(): RateLimited {
    return { drop: this.before.drop + this.now.drop, flow: this.before.flow + this.now.flow };
  }

  /**
   * Before a whole-table replace: read what the counters hold; once the new table is in (the
   * returned function), that is kept and the new counters count from 0. A packet between the read
   * and the replace is not counted (a replace happens at start-up and after drift).
   * The first replace is this pontond's start: the counts of an earlier pontond's table are not its own.
   */
  async replacing(): Promise<() => void> {
    await this.read();
    const held = this.started ? this.now : { drop: 0, flow: 0 };
    this.started = true;
    return () => {
      this.before.drop += held.drop;
      this.before.flow += held.flow;
      this.now = { drop: 0, flow: 0 };
    };
  }
}
