// What each hooked chain of Ponton's table costs per packet (issue 20): 64-byte UDP between two
// workloads on one network, Ponton's own table as pontond wrote it vs the same table with some base
// chains taken out (the ceiling of merging them away), next to the bare bridge and the bridge with
// br_netfilter and one conntrack rule. pontond is stopped once the workloads exist (its healer would
// put the table back); each measurement loads its variant of the table first. Interleaved rounds,
// ratios paired per round.
// Usage: node dist/bench/dataplane/levers.js [--rounds 5] [--seconds 4]
import { sh } from "../../test/integration/harness";
import { L7_AFTER_DNAT_CHAIN } from "../../src/compile/l7-chains";
import { plain, type Subject } from "./plain-bridge";
import { benchWithHost, interleavedRounds, numberArg, waitReachable } from "./rounds";

/** A chain's block in `nft list table` text (it runs to its closing brace). */
const chainBlock = (name: string) => new RegExp(`\\n\\s*chain ${name} \\{[\\s\\S]*?\\n\\t\\}`);

/** `nft list table` text without the named chains. */
function without(table: string, chains: string[]): string {
  let out = table;
  for (const c of chains) out = out.replace(chainBlock(c), "");
  return out;
}

/**
 * The layout before the hooked chains were merged (main up to 2026-12-07 17:00): the same rules in
 * seven hooked filter chains (raw, mangle and a pre-DNAT service filter in prerouting; the L7 bypass
 * check hooked at forward - 5; l7_after_dnat declared whether or not an HTTP rule exists), rebuilt
 * from the table as written so both carry the same elements.
 */
function sevenHookLayout(table: string): string {
  const pre = chainBlock("prerouting_new").exec(table)?.[0] ?? "";
  const rule = (re: RegExp) => (re.exec(pre)?.[0] ?? "").trim();
  const noep = pre.split("\n").map((l) => l.trim()).filter((l) => l.includes("svc_reject"));
  const chains = [
    "\n\tchain raw_prerouting {\n\t\ttype filter hook prerouting priority raw; policy accept;\n\t\tiifname @bridges ip daddr 127.0.0.0/8 goto drop_forged_localhost\n\t}",
    `\n\tchain mangle_prerouting {\n\t\ttype filter hook prerouting priority mangle; policy accept;\n\t\tct state new ${rule(/meta l4proto . th dport @pub_restricted.*/)}\n\t}`,
    `\n\tchain svc_filter_prerouting {\n\t\ttype filter hook prerouting priority dstnat - 10; policy accept;\n${noep.map((l) => `\t\tct state new ${l}`).join("\n")}\n\t}`,
  ].join("");
  // With no HTTP rule the table now has no l7_after_dnat (declared while a listener exists): the old one always had it.
  const l7 = table.includes("chain l7_after_dnat {") ? "" : L7_AFTER_DNAT_CHAIN.replace(/\n$/, "");
  return without(table, ["filter_prerouting"])
    .replace(/(\n\s*chain l7_forward \{)/, "$1\n\t\ttype filter hook forward priority filter - 5; policy accept;")
    .replace(/\n\s*ct state new jump l7_forward/, "")
    .replace(/(\n\s*chain check_allow_from \{)/, `${chains}${l7}$1`);
}

const VARIANTS: Record<string, string[]> = {
  "Ponton, table as written": [],
  "Ponton without flow_log": ["flow_log"],
  "Ponton with forward as its only hooked filter chain": ["filter_prerouting", "l7_after_dnat", "flow_log"],
};

benchWithHost("bdl", async (h) => {
  await h.pontonOk("network", "create", "dp", "--subnet", "10.78.0.0/24");
  await h.pontonOk("run", "--name", "srv", "--network", "dp");
  await h.pontonOk("run", "--name", "cli", "--network", "dp");
  const server = (JSON.parse(await h.pontonOk("inspect", "srv")) as { networks: { ip4: string }[] }[])[0]!.networks[0]!.ip4;
  const table = (await h.inHost("nft", ["list", "table", "inet", "ponton"])).stdout;
  await h.stopDaemon("SIGKILL");
  h.spawnIn(h.ns("srv"), "iperf3", ["-s"]);
  // `nft list` prints the egress rules' `tproxy ip to : … map @…` as `tproxy ip to`, which it cannot
  // read back: dropped (no egress HTTP rule exists here, they match nothing).
  const listed = table.replace(/\n[^\n]*tproxy ip6? to accept/g, "");
  const load = async (chains: string[] | "seven hooks") => {
    const text = chains === "seven hooks" ? sevenHookLayout(listed) : without(listed, chains);
    const r = await sh("nsenter", [`--net=/run/netns/${h.hostNs}`, "nft", "-f", "-"], { input: `add table inet ponton\ndelete table inet ponton\n${text}` });
    if (r.code !== 0) throw new Error(`nft: ${r.stderr}`);
  };
  const subjects: Subject[] = [
    await plain("bare", false),
    await plain("brnf", true),
    { name: "Ponton, the seven-hook layout before", server, prepare: () => load("seven hooks"), client: (c: string, a: string[], t?: number) => h.inWorkload("cli", c, a, t) },
    ...Object.entries(VARIANTS).map(([name, chains]) => ({ name, server, prepare: () => load(chains), client: (c: string, a: string[], t?: number) => h.inWorkload("cli", c, a, t) })),
  ];
  await load([]);
  await waitReachable(subjects);
  await interleavedRounds(subjects, numberArg("rounds", 5), numberArg("seconds", 4), { tcp: false });
});
