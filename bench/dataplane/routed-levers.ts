// What each hooked chain of Ponton's table costs a packet between two workloads on one ROUTED
// network (issue 20; levers.js is the bridge's): the table as pontond wrote it vs the same table
// with base chains taken out (the ceiling of removing them), next to plain routing (the routed
// driver without Ponton) and plain routing with one ct rule (its stateful floor: conntrack on).
// pontond is stopped once the workloads exist (its healer would put the table back); each
// measurement loads its variant of the table first. Interleaved rounds, ratios paired per round.
// `--between`: the client on a second routed network with `--route-to` the first (between.js's path).
// Usage: node dist/bench/dataplane/routed-levers.js [--rounds 5] [--seconds 4] [--between]
import { sh } from "../../test/integration/harness";
import { plainRouted, type Subject } from "./plain-bridge";
import { benchWithHost, interleavedRounds, numberArg, waitReachable } from "./rounds";

/** A chain's block in `nft list table` text (it runs to its closing brace). */
const chainBlock = (name: string) => new RegExp(`\\n\\s*chain ${name} \\{[\\s\\S]*?\\n\\t\\}`);

/** `nft list table` text without the named chains. */
const without = (table: string, chains: string[]) => chains.reduce((t, c) => t.replace(chainBlock(c), ""), table);

/** The forward chain with its established accept first (before the user hook: what it would cost the user hook to see only new packets). */
const establishedFirst = (table: string) =>
  table.replace(/(\n\s*chain forward \{\n[^\n]*\n)/, "$1\t\tct state established,related accept\n");

/** The nat base chains (with them the kernel's NAT hooks run for every packet, established ones too). */
const NAT_CHAINS = ["l7_redirect", "l7_host", "nat_prerouting", "nat_output", "nat_postrouting"];

/**
 * The two filter chains every packet entered before h-hooks (main at d737cb7), put back beside the
 * table as written: `filter_prerouting` at mangle (the forged-127/8 drop and the new connection's
 * checks, which established packets fail at their first match) and `flow_log` after forward. The
 * table as written has neither (its checks sit in input, forward and a nat chain: first-packet-chains.ts).
 */
const twoHooksBack = (table: string) =>
  table.includes("chain filter_prerouting {")
    ? table
    : table.replace(
        /\n\tchain forward \{/,
        `\n\tchain filter_prerouting {\n\t\ttype filter hook prerouting priority mangle; policy accept;\n\t\tip daddr 127.0.0.0/8 iifname @bridges goto drop_forged_localhost\n\t\tct state new meta l4proto . th dport @pub_restricted fib daddr type local jump check_allow_from\n\t}` +
          `\n\tchain flow_log {\n\t\ttype filter hook forward priority filter + 10; policy accept;\n\t\tct state new iifname @bridges jump flow_record\n\t\tct state new oifname @bridges iifname != @bridges jump flow_record\n\t}\n\tchain forward {`,
      );

const VARIANTS: Record<string, (t: string) => string> = {
  "Ponton routed, table as written": (t) => t,
  "Ponton routed, + filter_prerouting and flow_log (main's two hooks)": twoHooksBack,
  "Ponton routed without flow_log": (t) => without(t, ["flow_log"]),
  "Ponton routed without filter_prerouting": (t) => without(t, ["filter_prerouting"]),
  "Ponton routed, forward the only hooked filter chain": (t) => without(t, ["filter_prerouting", "flow_log"]),
  "Ponton routed, established accepted first in forward": establishedFirst,
  "Ponton routed without its nat chains": (t) => without(t, NAT_CHAINS),
  "Ponton routed, forward the only hooked chain": (t) => without(t, ["filter_prerouting", "flow_log", ...NAT_CHAINS]),
};

benchWithHost("bdr", async (h) => {
  await h.pontonOk("network", "create", "dpr", "--driver", "routed", "--subnet", "10.79.0.0/24");
  await h.pontonOk("run", "--name", "rsrv", "--network", "dpr");
  // --between: the client on a second routed network that routes to the first (`--route-to`).
  const between = process.argv.includes("--between");
  if (between) await h.pontonOk("network", "create", "dpr2", "--driver", "routed", "--subnet", "10.79.1.0/24", "--route-to", "dpr");
  await h.pontonOk("run", "--name", "rcli", "--network", between ? "dpr2" : "dpr");
  const server = (JSON.parse(await h.pontonOk("inspect", "rsrv")) as { networks: { ip4: string }[] }[])[0]!.networks[0]!.ip4;
  const ruleset = (await h.inHost("nft", ["list", "ruleset"])).stdout;
  const hooked = [...ruleset.matchAll(/table (\S+ \S+) \{|chain (\S+) \{\n\s*type (\S+) hook (\S+)[^\n]*priority ([^;]+);/g)]
    .map((m) => (m[1] ? `table ${m[1]}` : `  ${m[2]}: ${m[3]} hook ${m[4]} priority ${m[5]}`));
  console.log(`# hooked chains in the bench host:\n${hooked.join("\n")}\n`);
  const inClient = async (c: string, a: string[]) => (await h.inWorkload("rcli", c, a)).stdout.trim();
  console.log(`# in the client workload: nft ruleset ${JSON.stringify(await inClient("nft", ["list", "ruleset"]))}; routes ${JSON.stringify(await inClient("ip", ["route"]))}\n`);
  const table = (await h.inHost("nft", ["list", "table", "inet", "ponton"])).stdout;
  await h.stopDaemon("SIGKILL");
  h.spawnIn(h.ns("rsrv"), "iperf3", ["-s"]);
  // `nft list` prints the egress rules' `tproxy ip to : … map @…` as `tproxy ip to`, which it cannot read back: dropped (no HTTP rule here).
  const listed = table.replace(/\n[^\n]*tproxy ip6? to accept/g, "");
  const load = async (variant: (t: string) => string) => {
    const r = await sh("nsenter", [`--net=/run/netns/${h.hostNs}`, "nft", "-f", "-"], { input: `add table inet ponton\ndelete table inet ponton\n${variant(listed)}` });
    if (r.code !== 0) throw new Error(`nft: ${r.stderr}`);
  };
  const client = (c: string, a: string[], t?: number) => h.inWorkload("rcli", c, a, t);
  const subjects: Subject[] = [
    await plainRouted(),
    await plainRouted(true),
    await plainRouted(true, true),
    ...Object.entries(VARIANTS).map(([name, v]) => ({ name, server, prepare: () => load(v), client })),
  ];
  await load((t) => t);
  await waitReachable(subjects);
  await interleavedRounds(subjects, numberArg("rounds", 5), numberArg("seconds", 4), { tcp: false });
});
