// Per-packet cost between two workloads on one network (issue 20): 64-byte UDP packets/s and one
// TCP stream, for a bare Linux bridge, the same bridge with br_netfilter and one conntrack rule,
// plain routing between two veths (/32 routes, no rule: what a routed network is without Ponton),
// and Ponton's bridge and routed networks. Rounds are interleaved (each round measures every subject, in a rotated order) and each
// round's figures are divided by that round's bare bridge, so the machine's load hits all alike.
// Usage: node dist/bench/dataplane/pps.js [--rounds 3] [--seconds 5]
import { readFileSync } from "node:fs";
import { TestHost } from "../../test/integration/harness";
import { installSignalHandlers, runCleanup } from "../lib/cleanup";
import { sleep } from "../lib/proc";
import { iperfTcp, iperfUdp64, median, round2 } from "../lib/traffic";
import { plain, plainRouted, type Subject } from "./plain-bridge";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROUNDS = arg("rounds", 3);
const SECONDS = arg("seconds", 5);
const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

async function pontonRouted(h: TestHost): Promise<Subject> {
  await h.pontonOk("network", "create", "dpr", "--driver", "routed", "--subnet", "10.79.0.0/24");
  await h.pontonOk("run", "--name", "rsrv", "--network", "dpr", "--", "iperf3", "-s");
  await h.pontonOk("run", "--name", "rcli", "--network", "dpr");
  const srv = JSON.parse(await h.pontonOk("inspect", "rsrv")) as { networks: { ip4: string }[] }[];
  return { name: "Ponton (routed network, empty)", client: (cmd, args, t) => h.inWorkload("rcli", cmd, args, t), server: srv[0]!.networks[0]!.ip4 };
}

async function ponton(h: TestHost): Promise<Subject> {
  await h.pontonOk("network", "create", "dp", "--subnet", "10.78.0.0/24");
  await h.pontonOk("run", "--name", "srv", "--network", "dp", "--", "iperf3", "-s");
  await h.pontonOk("run", "--name", "cli", "--network", "dp");
  const srv = JSON.parse(await h.pontonOk("inspect", "srv")) as { networks: { ip4: string }[] }[];
  return { name: "Ponton (bridge network, empty)", client: (cmd, args, t) => h.inWorkload("cli", cmd, args, t), server: srv[0]!.networks[0]!.ip4 };
}

async function main(): Promise<void> {
  installSignalHandlers();
  const h = await new TestHost("bdp").setUp();
  const startLoad = loadavg();
  try {
    const subjects = [await plain("bare", false), await plain("brnf", true), await plainRouted(), await ponton(h), await pontonRouted(h)];
    for (const s of subjects) {
      for (let i = 0; i < 50 && (await s.client("ping", ["-c", "1", "-W", "1", s.server])).code !== 0; i++) await sleep(100);
    }
    const rows: Record<string, { kpps: number[]; gbits: number[] }> = Object.fromEntries(subjects.map((s) => [s.name, { kpps: [], gbits: [] }]));
    const ratios: Record<string, { kpps: number[]; gbits: number[] }> = Object.fromEntries(subjects.map((s) => [s.name, { kpps: [], gbits: [] }]));
    for (let r = 0; r < ROUNDS; r++) {
      const order = subjects.map((_, i) => subjects[(i + r) % subjects.length]!);
      const got: Record<string, { kpps: number; gbits: number }> = {};
      for (const s of order) {
        const kpps = await iperfUdp64(s.client, s.server, SECONDS);
        const gbits = await iperfTcp(s.client, s.server, SECONDS);
        got[s.name] = { kpps, gbits };
        rows[s.name]!.kpps.push(round2(kpps));
        rows[s.name]!.gbits.push(round2(gbits));
      }
      const bare = got[subjects[0]!.name]!;
      for (const s of subjects) {
        ratios[s.name]!.kpps.push(got[s.name]!.kpps / bare.kpps);
        ratios[s.name]!.gbits.push(got[s.name]!.gbits / bare.gbits);
      }
      console.log(`round ${r + 1}: ${order.map((s) => `${s.name} ${round2(got[s.name]!.kpps)} kpps ${round2(got[s.name]!.gbits)} Gbit/s`).join("; ")}`);
    }
    console.log(`\n${ROUNDS} interleaved rounds of ${SECONDS} s, load average ${startLoad} at start, ${loadavg()} at end`);
    console.log("subject | UDP 64 B kpps (rounds) | ×bare (median of paired ratios) | TCP Gbit/s (rounds) | ×bare");
    for (const s of subjects) {
      console.log(`${s.name} | ${rows[s.name]!.kpps.join(", ")} | ${median(ratios[s.name]!.kpps).toFixed(2)} | ${rows[s.name]!.gbits.join(", ")} | ${median(ratios[s.name]!.gbits).toFixed(2)}`);
    }
  } finally {
    await runCleanup();
    await h.tearDown();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
