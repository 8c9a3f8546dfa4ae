// What each hooked chain of Ponton's table costs per packet (issue 20): 64-byte UDP between two
// workloads on one network, Ponton's own table as pontond wrote it vs the same table with some base
// chains taken out (the ceiling of merging them away), next to the bare bridge and the bridge with
// br_netfilter and one conntrack rule. pontond is stopped once the workloads exist (its healer would
// put the table back); each measurement loads its variant of the table first. Interleaved rounds,
// ratios paired per round.
// Usage: node dist/bench/dataplane/levers.js [--rounds 5] [--seconds 4]
import { sh } from "../../test/integration/harness";
import { plain, type Subject } from "./plain-bridge";
import { benchWithHost, interleavedRounds, numberArg, waitReachable } from "./rounds";

/** `nft list table` text without the named chains (a chain's block runs to its closing brace). */
function without(table: string, chains: string[]): string {
  let out = table;
  for (const c of chains) out = out.replace(new RegExp(`\\n\\s*chain ${c} \\{[\\s\\S]*?\\n\\t\\}`), "");
  return out;
}

const VARIANTS: Record<string, string[]> = {
  "Ponton, table as written": [],
  "Ponton without the 3 prerouting filter chains": ["raw_prerouting", "mangle_prerouting", "svc_filter_prerouting"],
  "Ponton without flow_log": ["flow_log"],
  "Ponton with forward as its only hooked filter chain": ["raw_prerouting", "mangle_prerouting", "svc_filter_prerouting", "flow_log"],
};

benchWithHost("bdl", async (h) => {
  await h.pontonOk("network", "create", "dp", "--subnet", "10.78.0.0/24");
  await h.pontonOk("run", "--name", "srv", "--network", "dp");
  await h.pontonOk("run", "--name", "cli", "--network", "dp");
  const server = (JSON.parse(await h.pontonOk("inspect", "srv")) as { networks: { ip4: string }[] }[])[0]!.networks[0]!.ip4;
  const table = (await h.inHost("nft", ["list", "table", "inet", "ponton"])).stdout;
  await h.stopDaemon("SIGKILL");
  h.spawnIn(h.ns("srv"), "iperf3", ["-s"]);
  const load = async (chains: string[]) => {
    const r = await sh("nsenter", [`--net=/run/netns/${h.hostNs}`, "nft", "-f", "-"], { input: `add table inet ponton\ndelete table inet ponton\n${without(table, chains)}` });
    if (r.code !== 0) throw new Error(`nft: ${r.stderr}`);
  };
  const subjects: Subject[] = [
    await plain("bare", false),
    await plain("brnf", true),
    ...Object.entries(VARIANTS).map(([name, chains]) => ({ name, server, prepare: () => load(chains), client: (c: string, a: string[], t?: number) => h.inWorkload("cli", c, a, t) })),
  ];
  await load([]);
  await waitReachable(subjects);
  await interleavedRounds(subjects, numberArg("rounds", 5), numberArg("seconds", 4), { tcp: false });
});
