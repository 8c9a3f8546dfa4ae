// What each hooked chain of Ponton's table costs per packet (issue 20): 64-byte UDP between two
// workloads on one network, Ponton's own table as pontond wrote it vs the same table with some base
// chains taken out (the ceiling of merging them away), next to the bare bridge and the bridge with
// br_netfilter and one conntrack rule. pontond is stopped once the workloads exist (its healer would
// put the table back); each measurement loads its variant of the table first. Interleaved rounds,
// ratios paired per round.
// Usage: node dist/bench/dataplane/levers.js [--rounds 5] [--seconds 4]
import { readFileSync } from "node:fs";
import { TestHost, sh } from "../../test/integration/harness";
import { installSignalHandlers, runCleanup } from "../lib/cleanup";
import { sleep } from "../lib/proc";
import { iperfUdp64, median, round2 } from "../lib/traffic";
import { plain, type Subject } from "./plain-bridge";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROUNDS = arg("rounds", 5);
const SECONDS = arg("seconds", 4);
const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

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

async function main(): Promise<void> {
  installSignalHandlers();
  const h = await new TestHost("bdl").setUp();
  const startLoad = loadavg();
  try {
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
    const subjects: (Subject & { chains?: string[] })[] = [
      await plain("bare", false),
      await plain("brnf", true),
      ...Object.entries(VARIANTS).map(([name, chains]) => ({ name, chains, server, client: (c: string, a: string[], t?: number) => h.inWorkload("cli", c, a, t) })),
    ];
    await load([]);
    for (const s of subjects) {
      for (let i = 0; i < 50 && (await s.client("ping", ["-c", "1", "-W", "1", s.server])).code !== 0; i++) await sleep(100);
    }
    const rows = new Map(subjects.map((s) => [s.name, [] as number[]]));
    const ratios = new Map(subjects.map((s) => [s.name, [] as number[]]));
    for (let r = 0; r < ROUNDS; r++) {
      const got = new Map<string, number>();
      for (let i = 0; i < subjects.length; i++) {
        const s = subjects[(i + r) % subjects.length]!;
        if (s.chains) await load(s.chains);
        got.set(s.name, await iperfUdp64(s.client, s.server, SECONDS));
        rows.get(s.name)!.push(round2(got.get(s.name)!));
      }
      for (const s of subjects) ratios.get(s.name)!.push(got.get(s.name)! / got.get(subjects[0]!.name)!);
      console.log(`round ${r + 1}: ${subjects.map((s) => `${s.name} ${round2(got.get(s.name)!)}`).join("; ")}`);
    }
    console.log(`\n${ROUNDS} interleaved rounds of ${SECONDS} s, load average ${startLoad} at start, ${loadavg()} at end`);
    console.log("subject | UDP 64 B kpps (rounds) | ×bare (median of paired ratios)");
    for (const s of subjects) console.log(`${s.name} | ${rows.get(s.name)!.join(", ")} | ${median(ratios.get(s.name)!).toFixed(2)}`);
  } finally {
    await runCleanup();
    await h.tearDown();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
