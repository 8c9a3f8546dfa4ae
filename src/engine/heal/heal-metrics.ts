// The healer's counters in /metrics.
import { counter, gauge, type Metric } from "../../flows";
import type { Workload } from "../../model/types";
import type { Healer } from "./healer";

export function healMetrics(healer: Healer, workloads: readonly Workload[]): Metric[] {
  const c = healer.counters;
  return [
    counter("ponton_repairs_total", "Damage to what pontond owns, repaired as the kernel reported it, by kind.", [
      { labels: { kind: "nft_table" }, value: c.nftRepairs },
      { labels: { kind: "link" }, value: c.linkRepairs },
    ]),
    counter("ponton_foreign_nft_commits_total", "nf_tables commits on our table made by another process.", [{ value: c.foreignNftCommits }]),
    counter("ponton_workloads_broken_total", "Workloads marked broken because their network namespace vanished.", [{ value: c.broken }]),
    gauge("ponton_workloads_broken", "Workloads broken now.", workloads.filter((w) => w.state === "broken").length),
    counter("ponton_heal_full_link_dumps_total", "Dumps of every host link read by repair passes (each costs O(links) in the kernel).", [{ value: c.fullLinkDumps }]),
    counter("ponton_kernel_events_lost_total", "Times kernel events were lost (ENOBUFS, watcher restart) and everything was checked instead.", [{ value: c.lostEvents }]),
  ];
}
