// A first, honest step toward flow records: the policy drop chains keep every recent drop in the
// kernel sets pol_drops_v4/v6 (saddr . daddr . l4proto . dport . deny id, 120 s timeout, updated on
// every dropped packet). Reading them gives real kernel data with the deciding policies, but it is
// NOT a flow log: one record per (source, destination, protocol, port) seen in the last 120 s, no
// allowed flows, no TCP flags, no per-packet times (NFLOG / conntrack events are issue 5's next step).
import { EngineError } from "../errors";
import { describeDecision } from "../policy";
import { DEFAULT_NAMESPACE } from "../model/types";
import type { EngineContext } from "./context";

const SETS = ["pol_drops_v4", "pol_drops_v6"];
// nft -j names known protocols ("tcp") and gives others as numbers.
const PROTOS: Record<string, string> = { "6": "tcp", "17": "udp", "132": "sctp", "1": "icmp", "58": "ipv6-icmp" };

export interface DropRecord {
  verdict: "DROPPED";
  /** Seconds since the last dropped packet of this tuple (from the element's timeout). */
  lastSeenSecondsAgo?: number;
  source: { ip: string; workload?: string; namespace?: string; labels?: Record<string, string> };
  destination: { ip: string; port: number; workload?: string; namespace?: string; labels?: Record<string, string> };
  protocol: string;
  direction?: "ingress" | "egress";
  /** The decision id the kernel stamped (meta mark) and what it names. */
  id: number;
  reason: string;
  policies: string[];
}

export interface DropFilter {
  namespace?: string;
  workload?: string;
  port?: number;
}

interface Elem {
  concat?: unknown[];
  elem?: { val?: { concat?: unknown[] }; expires?: number };
}

export async function recentDrops(ctx: EngineContext, filter: DropFilter = {}): Promise<DropRecord[]> {
  const state = ctx.store.state();
  const byIp = new Map<string, (typeof state.workloads)[number]>();
  const wById = new Map(state.workloads.map((w) => [w.id, w]));
  for (const a of state.attachments) {
    const w = wById.get(a.workloadId);
    if (!w) continue;
    if (a.ip4) byIp.set(a.ip4, w);
    if (a.ip6) byIp.set(a.ip6, w);
  }
  const end = (ip: string) => {
    const w = byIp.get(ip);
    return w ? { ip, workload: w.name, namespace: w.namespace ?? DEFAULT_NAMESPACE, labels: w.labels } : { ip };
  };
  const plan = ctx.nft.current?.policy;
  const out: DropRecord[] = [];
  for (const set of SETS) {
    const { timeout, elems } = await ctx.kernel.setElements(set);
    for (const raw of elems as Elem[]) {
      const parts = raw.elem?.val?.concat ?? raw.concat;
      if (!parts || parts.length !== 5) continue;
      const [s, d, proto, port, mark] = parts.map(String) as [string, string, string, string, string];
      const id = Number(mark);
      const decision = plan ? describeDecision(plan, id) : undefined;
      // `update @set` on each dropped packet resets the element's timer: age = timeout - expires.
      const expires = raw.elem?.expires;
      out.push({
        verdict: "DROPPED",
        ...(timeout !== undefined && expires !== undefined ? { lastSeenSecondsAgo: Math.max(0, timeout - expires) } : {}),
        source: end(s),
        destination: { ...end(d), port: Number(port) },
        protocol: PROTOS[proto] ?? proto,
        ...(decision?.kind === "deny" ? { direction: decision.direction } : {}),
        id,
        reason: decision?.kind === "deny" ? `default deny: isolated (${decision.direction}) by ${decision.policies.join(", ")} and no rule admits it` : "policy drop (decision id not in the current plan: policies changed since)",
        policies: decision?.kind === "deny" ? decision.policies : [],
      });
    }
  }
  return out
    .filter((r) => filter.port === undefined || r.destination.port === filter.port)
    .filter((r) => filter.workload === undefined || r.source.workload === filter.workload || r.destination.workload === filter.workload)
    .filter((r) => filter.namespace === undefined || r.source.namespace === filter.namespace || r.destination.namespace === filter.namespace)
    .sort((a, b) => (a.lastSeenSecondsAgo ?? 0) - (b.lastSeenSecondsAgo ?? 0));
}

export function checkVerdict(verdict: string | undefined): void {
  if (verdict !== undefined && verdict.toUpperCase() !== "DROPPED") {
    throw new EngineError("UNSUPPORTED", `verdict ${verdict} is not recorded yet`, { hint: "only --verdict DROPPED (recent policy drops) is available; allowed-flow records need the NFLOG/conntrack collector (issue 5)" });
  }
}
