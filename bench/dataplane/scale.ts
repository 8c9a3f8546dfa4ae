// Many workloads on one network (issue 20): creation time per workload as the network fills,
// pontond's memory per workload, and reachability of the oldest workloads from the newest and from
// the host. On a bridge network (default): the 1,024th workload refused with BRIDGE_PORT_LIMIT
// before the kernel, how many copies of one ARP request the bridge floods, the host's neighbour
// entries. On a routed network (`--driver routed`): one more workload is accepted, and ARP/ND
// packets are counted on the sampled workloads' veths while they are pinged. `--networks K` spreads
// the N workloads over K networks (each a /20, filled one after another); the first workload
// publishes a port, reached from outside and from the newest workload at the end. Memory: pontond's
// RSS and its helpers' (the processes it started, the port holder) per workload.
// `--until HH:MM` (UTC) stops creating at that time and measures what was made (a bounded run on a
// shared machine); pontond's CPU per creation is printed every 100 and at 500 / 1,000 / 2,000 / 4,000.
// With several routed networks, each network's workloads are also sampled from a neighbour on the same
// network (its newest) and from the host, and the newest workload tries a few of every other network.
// `--prefix P` names the namespaces P-… (a run by hand under one's own prefix); `--fast-teardown` kills
// pontond by PID and deletes the namespaces by prefix in one `ip -batch` (teardown through the API
// takes longer than the run at 10,000).
// Usage: node dist/bench/dataplane/scale.js [--n 1023] [--driver bridge|routed] [--networks 1] [--cpu-prof DIR] [--until 14:57] [--prefix ht] [--fast-teardown]
import { readdirSync, readFileSync } from "node:fs";
import { TestHost, UPLINK_HOST, curlFrom, httpServer, sh } from "../../test/integration/harness";
import { EngineError } from "../../src/errors";
import { cpuMs, nowMs } from "../lib/proc";
import { median, round2 } from "../lib/traffic";
import { fastTearDown, helperPids } from "./fast-teardown";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ASKED = arg("n", 1023);
const ui = process.argv.indexOf("--until");
const UNTIL = ui > 0 ? (() => {
  const [hh, mm] = process.argv[ui + 1]!.split(":").map(Number);
  const d = new Date();
  d.setUTCHours(hh!, mm!, 0, 0);
  return d.getTime();
})() : Infinity;
/** How many were made (ASKED unless --until stopped the creation first). */
let N = ASKED;
const di = process.argv.indexOf("--driver");
const DRIVER = di > 0 ? process.argv[di + 1]! : "bridge";
const K = arg("networks", 1);
const pi = process.argv.indexOf("--cpu-prof");
const PROFILE = pi > 0 ? process.argv[pi + 1] : undefined;
const xi = process.argv.indexOf("--prefix");
const PREFIX = xi > 0 ? process.argv[xi + 1] : undefined;
const FAST_TEARDOWN = process.argv.includes("--fast-teardown");
const netName = (k: number) => (K === 1 ? "big" : `big${k}`);
/** Workload i's network: the networks fill one after another. */
const netOf = (i: number) => Math.min(K - 1, Math.floor(i / Math.ceil(ASKED / K)));
const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

/** pontond's PID: the process started with this test host's socket. */
function daemonPid(socket: string): number {
  for (const p of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
      if (argv.includes(socket) && argv.some((a) => a.endsWith("pontond"))) return Number(p);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error("pontond not found");
}
const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN);

const helpersKiB = (daemon: number, stateDir: string) => helperPids(daemon, stateDir).reduce((sum, p) => sum + (rssKiB(p) || 0), 0);

async function main(): Promise<void> {
  const h = new TestHost("hwscale", PREFIX);
  if (PROFILE) h.daemonNodeArgs.push("--cpu-prof", "--cpu-prof-dir", PROFILE);
  await h.setUp();
  const log = (x: unknown) => console.log(typeof x === "string" ? x : JSON.stringify(x));
  log(`N=${N} on ${K} network(s), driver ${DRIVER}, load average ${loadavg()} at start`);
  try {
    for (let k = 0; k < K; k++) await h.pontonOk("network", "create", netName(k), "--subnet", `10.80.${16 * k}.0/20`, "--driver", DRIVER);
    const last = netName(K - 1);
    const lastUsed = () => netName(netOf(N - 1));
    const br = (JSON.parse(await h.pontonOk("network", "inspect", last)) as { bridge: string }[])[0]!.bridge;
    const pid = daemonPid(h.socket);
    // The first workload publishes a port (checked at the end, from outside and from the newest).
    const t00 = nowMs();
    await h.pontonOk("run", "--name", "w0", "--network", netName(0), "-p", "18080:80");
    const ms: number[] = [nowMs() - t00];
    httpServer(h, h.ns("w0"), 80, "w0-80");
    const rss0 = rssKiB(pid);
    const helpers0 = helpersKiB(pid, h.stateDir);
    const cpu0 = cpuMs(pid);
    const ips: string[] = [];
    let cpuMark = cpuMs(pid);
    const cpuPer100: number[] = [];
    for (let i = 1; i < ASKED; i++) {
      if (Date.now() >= UNTIL) {
        N = i;
        log(`stopped at ${N} workloads: --until reached`);
        break;
      }
      const t0 = nowMs();
      await h.client.request("POST", "/v1/workloads", { name: `w${i}`, networks: [netName(netOf(i))] });
      ms.push(nowMs() - t0);
      if (i % 100 === 99) {
        cpuPer100.push((cpuMs(pid) - cpuMark) / 100);
        cpuMark = cpuMs(pid);
        log(`${i + 1} workloads, last 100: median ${round2(median(ms.slice(-100)))} ms, pontond CPU ${round2(cpuPer100.at(-1)!)} ms each, load ${loadavg()}`);
      }
      if (i % 1000 === 999) log({ at: i + 1, utc: new Date().toISOString().slice(11, 19), pontondKiB: rssKiB(pid), helpersKiB: helpersKiB(pid, h.stateDir), kiBPerWorkload: round2((rssKiB(pid) + helpersKiB(pid, h.stateDir) - rss0 - helpers0) / i) });
    }
    const at = (c: number) => cpuPer100[c / 100 - 1];
    log({ pontondCpuMsPerCreationAt: Object.fromEntries([500, 1000, 2000, 4000, 6000, 8000, 10000].filter((c) => at(c) !== undefined).map((c) => [c, round2(at(c)!)])), ratio2000to500: at(2000) && at(500) ? round2(at(2000)! / at(500)!) : undefined });
    const rss1 = rssKiB(pid);
    const helpers1 = helpersKiB(pid, h.stateDir);
    const first = ms.slice(0, 100);
    const last100 = ms.slice(-100);
    log({ createMsMedianFirst100: round2(median(first)), createMsMedianLast100: round2(median(last100)), pontondCpuMsPerCreation: round2((cpuMs(pid) - cpu0) / (N - 1)) });
    log({ rssKiBBefore: rss0, rssKiBAfter: rss1, rssKiBPerWorkload: round2((rss1 - rss0) / (N - 1)), helpersKiBBefore: helpers0, helpersKiBAfter: helpers1, helperPids: helperPids(pid, h.stateDir).length, helpersKiBPerWorkload: round2((helpers1 - helpers0) / (N - 1)), bothKiBPerWorkload: round2((rss1 + helpers1 - rss0 - helpers0) / (N - 1)) });
    const newestName = `w${N - 1}`;
    log({ publishedPortFromOutside: await curlFrom((c, x, t) => h.inOutside(c, x, t), `http://${UPLINK_HOST}:18080/`), publishedPortFromNewest: await curlFrom((c, x, t) => h.inWorkload(newestName, c, x, t), `http://${UPLINK_HOST}:18080/`) });

    let refused = "accepted";
    try {
      await h.client.request("POST", "/v1/workloads", { name: `w${N}`, networks: [lastUsed()] });
      await h.client.request("DELETE", `/v1/workloads/w${N}`);
    } catch (e) {
      refused = e instanceof EngineError ? `${e.code}: ${e.message}` : String(e);
    }
    log({ nextWorkload: refused });

    const list = (await h.client.request("GET", "/v1/workloads")) as { name: string; networks: { ip4: string; hostIfname: string }[] }[];
    const ipOf = new Map(list.map((w) => [w.name, w.networks[0]!.ip4]));
    for (let i = 0; i < N; i++) ips.push(ipOf.get(`w${i}`)!);
    if (DRIVER === "routed") {
      // Neighbours: the newest workload's network (the last one), from its first workload on.
      const base = Math.ceil(ASKED / K) * netOf(N - 1);
      const veths = new Map(list.map((w) => [w.name, w.networks[0]!.hostIfname]));
      await routedReachability(h, base, N - base, ips, veths, log);
      if (K > 1) await acrossNetworks(h, ips, veths, log);
      await hostFacts(h, log);
      return;
    }
    const perm = JSON.parse((await h.inHost("ip", ["-j", "neigh", "show", "dev", br, "nud", "permanent"])).stdout || "[]") as unknown[];
    log({ hostPermanentNeighbourEntries: perm.length });

    // One ARP request from the newest workload for the oldest: how many ports does the bridge flood it to?
    const nft = `table bridge bdpscount {\n  chain forward {\n    type filter hook forward priority 0;\n    ether type arp arp operation request counter\n  }\n}\n`;
    await sh("nsenter", [`--net=/run/netns/${h.hostNs}`, "nft", "-f", "-"], { input: nft });
    const newest = `w${N - 1}`;
    const reached = (await h.inWorkload(newest, "ping", ["-c", "1", "-W", "2", ips[0]!])).code === 0;
    const counters = (await h.inHost("nft", ["list", "table", "bridge", "bdpscount"])).stdout;
    await h.inHost("nft", ["delete", "table", "bridge", "bdpscount"]);
    log({ newestReachesOldest: reached, arpRequestCopiesFlooded: Number(/packets (\d+)/.exec(counters)?.[1] ?? NaN), ports: N });

    // Reachability: the 20 oldest and 20 spread over the rest, from the newest and from the host.
    const groups = { oldest20: Array.from({ length: Math.min(20, N) }, (_, i) => i), spread20: Array.from({ length: 20 }, (_, i) => Math.floor(((i + 1) * (N - 1)) / 21)) };
    for (const [group, sample] of Object.entries(groups)) {
      const fromNewest: number[] = [];
      let fromHost = 0;
      for (const i of sample) {
        if ((await h.inWorkload(newest, "ping", ["-c", "1", "-W", "2", ips[i]!])).code === 0) fromNewest.push(i);
        if ((await h.inHost("ping", ["-c", "1", "-W", "2", ips[i]!])).code === 0) fromHost++;
      }
      log({ group, sampled: sample.length, reachableFromNewest: fromNewest.length, whichFromNewest: fromNewest.join(","), reachableFromHost: fromHost });
    }
    log({ loadAtEnd: loadavg() });
  } finally {
    const t0 = nowMs();
    await (FAST_TEARDOWN ? fastTearDown(h) : h.tearDown());
    log(`teardown ${round2((nowMs() - t0) / 1000)} s`);
  }
}

/** The 40 sampled workloads of the bridge run, from the newest and from the host, with ARP/ND counted on their veths. */
async function routedReachability(h: TestHost, base: number, n: number, ips: string[], veth: Map<string, string>, log: (x: unknown) => void): Promise<void> {
  const sample = [...Array.from({ length: Math.min(20, n) }, (_, i) => base + i), ...Array.from({ length: 20 }, (_, i) => base + Math.floor(((i + 1) * (n - 1)) / 21))];
  const newest = `w${base + n - 1}`;
  const devices = [...new Set([...sample.map((i) => veth.get(`w${i}`)!), veth.get(newest)!])];
  const nft = `table netdev bdpscount {\n  chain in {\n    type filter hook ingress devices = { ${devices.map((d) => `"${d}"`).join(", ")} } priority 0;\n    ether type arp counter\n    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } counter\n  }\n}\n`;
  const made = await sh("nsenter", [`--net=/run/netns/${h.hostNs}`, "nft", "-f", "-"], { input: nft });
  if (made.code !== 0) throw new Error(made.stderr);
  let fromNewest = 0;
  let fromHost = 0;
  for (const i of sample) {
    if ((await h.inWorkload(newest, "ping", ["-c", "1", "-W", "2", ips[i]!])).code === 0) fromNewest++;
    if ((await h.inHost("ping", ["-c", "1", "-W", "2", ips[i]!])).code === 0) fromHost++;
  }
  const counters = (await h.inHost("nft", ["list", "table", "netdev", "bdpscount"])).stdout;
  await h.inHost("nft", ["delete", "table", "netdev", "bdpscount"]);
  const [arp, nd] = [...counters.matchAll(/packets (\d+)/g)].map((m) => Number(m[1]));
  const routes = (await h.inHost("ip", ["-4", "-o", "route", "show", "proto", "boot"])).stdout.split("\n").filter((l) => / dev pr-/.test(l)).length;
  log({ sampled: sample.length, reachableFromNewest: fromNewest, reachableFromHost: fromHost, arpPacketsOnSampledVeths: arp, ndPacketsOnSampledVeths: nd, hostRoutesViaRoutedVeths: routes });
  log({ loadAtEnd: loadavg() });
}

/** Every network used: 8 of its workloads from its newest (a neighbour) and from the host; from the overall newest, 2 of each other network. */
async function acrossNetworks(h: TestHost, ips: string[], veth: Map<string, string>, log: (x: unknown) => void): Promise<void> {
  const per = Math.ceil(ASKED / K);
  const newest = `w${N - 1}`;
  const ping = async (from: string | undefined, i: number) => (from ? h.inWorkload(from, "ping", ["-c", "1", "-W", "2", ips[i]!]) : h.inHost("ping", ["-c", "1", "-W", "2", ips[i]!])).then((r) => r.code === 0);
  const rows: unknown[] = [];
  const devices: string[] = [];
  const samples: number[][] = [];
  for (let k = 0; k <= netOf(N - 1); k++) {
    const base = per * k;
    const n = Math.min(per, N - base);
    const sample = Array.from({ length: 8 }, (_, j) => base + Math.floor((j * (n - 2)) / 7));
    samples.push(sample);
    devices.push(...sample.map((i) => veth.get(`w${i}`)!), veth.get(`w${base + n - 1}`)!);
  }
  const nft = `table netdev bdpsx {\n  chain in {\n    type filter hook ingress devices = { ${[...new Set(devices)].map((d) => `"${d}"`).join(", ")} } priority 0;\n    ether type arp counter\n    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } counter\n  }\n}\n`;
  const made = await sh("nsenter", [`--net=/run/netns/${h.hostNs}`, "nft", "-f", "-"], { input: nft });
  if (made.code !== 0) throw new Error(made.stderr);
  let crossTried = 0;
  let crossReached = 0;
  for (const [k, sample] of samples.entries()) {
    const n = Math.min(per, N - per * k);
    const neighbour = `w${per * k + n - 1}`;
    let fromNeighbour = 0;
    let fromHost = 0;
    for (const i of sample) {
      if (await ping(neighbour, i)) fromNeighbour++;
      if (await ping(undefined, i)) fromHost++;
    }
    if (k !== netOf(N - 1)) {
      for (const i of sample.slice(0, 2)) {
        crossTried++;
        if (await ping(newest, i)) crossReached++;
      }
    }
    rows.push({ network: netName(k), workloads: n, sampled: sample.length, reachableFromNeighbour: fromNeighbour, reachableFromHost: fromHost });
  }
  const counters = (await h.inHost("nft", ["list", "table", "netdev", "bdpsx"])).stdout;
  await h.inHost("nft", ["delete", "table", "netdev", "bdpsx"]);
  const [arp, nd] = [...counters.matchAll(/packets (\d+)/g)].map((m) => Number(m[1]));
  for (const r of rows) log(r);
  log({ fromNewestToOtherNetworks: `${crossReached}/${crossTried}`, arpPacketsOnSampledVeths: arp, ndPacketsOnSampledVeths: nd });
}

/** What the kernel holds at the end: links and routes in the host namespace, namespaces and mounts on the machine. */
async function hostFacts(h: TestHost, log: (x: unknown) => void): Promise<void> {
  const links = (await h.inHost("ip", ["-o", "link", "show"], 60_000)).stdout.split("\n").filter(Boolean).length;
  const routes = (await h.inHost("ip", ["-o", "route", "show"], 60_000)).stdout.split("\n").filter(Boolean).length;
  const mine = readdirSync("/run/netns").filter((n) => n.startsWith(`${h.prefix}-`)).length;
  const mounts = readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter(Boolean).length;
  log({ hostLinks: links, hostRoutes4: routes, namespacesWithPrefix: mine, mountsInThisMountNamespace: mounts });
}


main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
