// Per-packet cost between two workloads on one network (issue 20): 64-byte UDP packets/s and one
// TCP stream, for a bare Linux bridge, the same bridge with br_netfilter and one conntrack rule,
// plain routing between two veths (/32 routes, no rule: what a routed network is without Ponton),
// and Ponton's bridge and routed networks. Rounds are interleaved (each round measures every subject, in a rotated order) and each
// round's figures are divided by that round's bare bridge, so the machine's load hits all alike.
// Usage: node dist/bench/dataplane/pps.js [--rounds 3] [--seconds 5]
import { readFileSync } from "node:fs";
import { TestHost } from "../../test/integration/harness";
import { defer, installSignalHandlers, runCleanup } from "../lib/cleanup";
import { deleteNamespaces, startBackground } from "../lib/netns";
import { mustRun, run, sleep } from "../lib/proc";
import { iperfTcp, iperfUdp64, median, round2, type Runner } from "../lib/traffic";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROUNDS = arg("rounds", 3);
const SECONDS = arg("seconds", 5);
const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

interface Subject {
  name: string;
  client: Runner;
  server: string;
}

/**
 * A hand-made host namespace with one bridge and two workload namespaces; `brnf` turns on
 * br_netfilter's IPv4 hook and loads one `ct state` rule in an inet forward chain.
 */
async function plain(tag: string, brnf: boolean): Promise<Subject> {
  const p = `bdp${process.pid}-${tag}`;
  const [host, a, b] = [`${p}-h`, `${p}-a`, `${p}-b`];
  defer(`netns del ${p}-*`, () => deleteNamespaces([host, a, b]));
  await mustRun(["ip", "-batch", "-"], { input: [host, a, b].map((n) => `netns add ${n}\n`).join("") });
  await mustRun(["ip", "-n", host, "-batch", "-"], {
    input: [
      "link set lo up",
      "link add br0 type bridge",
      "link set br0 up",
      `link add va type veth peer name eth0 netns ${a}`,
      `link add vb type veth peer name eth0 netns ${b}`,
      "link set va master br0 up",
      "link set vb master br0 up",
    ].join("\n") + "\n",
  });
  for (const [ns, ip] of [[a, "10.77.0.2"], [b, "10.77.0.3"]] as const) {
    await mustRun(["ip", "-n", ns, "-batch", "-"], { input: `link set lo up\naddr add ${ip}/24 dev eth0\nlink set eth0 up\n` });
  }
  await mustRun(["ip", "netns", "exec", host, "sysctl", "-qw", `net.bridge.bridge-nf-call-iptables=${brnf ? 1 : 0}`, `net.bridge.bridge-nf-call-ip6tables=${brnf ? 1 : 0}`]);
  if (brnf) {
    await mustRun(["ip", "netns", "exec", host, "nft", "-f", "-"], {
      input: "table inet bench {\n  chain forward {\n    type filter hook forward priority 0;\n    ct state established,related accept\n  }\n}\n",
    });
  }
  startBackground(["ip", "netns", "exec", b, "iperf3", "-s"]);
  return { name: brnf ? "bridge + br_netfilter + 1 ct rule" : "bare bridge", client: async (cmd, args, t) => {
      const r = await run(["ip", "netns", "exec", a, cmd, ...args], t ? { timeoutMs: t } : {});
      return { ...r, code: r.code ?? -1 };
    }, server: "10.77.0.3" };
}

/** Two veths routed by the host (/32 routes, the gateway on lo, no nft rule): the routed driver's floor. */
async function plainRouted(): Promise<Subject> {
  const p = `bdp${process.pid}-rt`;
  const [host, a, b] = [`${p}-h`, `${p}-a`, `${p}-b`];
  defer(`netns del ${p}-*`, () => deleteNamespaces([host, a, b]));
  await mustRun(["ip", "-batch", "-"], { input: [host, a, b].map((n) => `netns add ${n}\n`).join("") });
  await mustRun(["ip", "-n", host, "-batch", "-"], {
    input: [
      "link set lo up",
      "addr add 10.76.0.1/32 dev lo",
      `link add va address 02:00:00:00:01:01 type veth peer name eth0 netns ${a}`,
      `link add vb address 02:00:00:00:01:01 type veth peer name eth0 netns ${b}`,
      "link set va up",
      "link set vb up",
      "route add 10.76.0.2/32 dev va src 10.76.0.1",
      "route add 10.76.0.3/32 dev vb src 10.76.0.1",
    ].join("\n") + "\n",
  });
  await mustRun(["ip", "netns", "exec", host, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
  for (const [ns, ip] of [[a, "10.76.0.2"], [b, "10.76.0.3"]] as const) {
    await mustRun(["ip", "-n", ns, "-batch", "-"], {
      input: `link set lo up\naddr add ${ip}/32 dev eth0\nlink set eth0 up\nneigh replace 10.76.0.1 lladdr 02:00:00:00:01:01 dev eth0 nud permanent\nroute add 10.76.0.1 dev eth0 scope link\nroute add default via 10.76.0.1 dev eth0\n`,
    });
  }
  startBackground(["ip", "netns", "exec", b, "iperf3", "-s"]);
  return { name: "plain routing (2 veths, /32 routes, no rule)", client: async (cmd, args, t) => {
      const r = await run(["ip", "netns", "exec", a, cmd, ...args], t ? { timeoutMs: t } : {});
      return { ...r, code: r.code ?? -1 };
    }, server: "10.76.0.3" };
}

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
