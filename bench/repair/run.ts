// Time from damage to repair, per kind of damage, with pontond's healer (kernel events, no polling),
// two ways: seen from outside (the damaging command has returned → the damaged object is back in
// the kernel, checked in a loop from here, so it includes one check, ~5–15 ms), and pontond's own
// figure (first kernel event → repair committed, from its "repaired … in N ms" log line). Also the
// idle cost: CPU time of pontond and its helpers over a quiet interval.
// Run: npx tsc -p tsconfig.json && node dist/bench/repair/run.js [--n 20] [--only SUBSTRING]
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, docRoot, inspect, type Result } from "../../test/integration/harness";
import { percentile } from "../lib/stats";

const N = Number(process.argv[process.argv.indexOf("--n") + 1]) || 20;
const ONLY = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
const IDLE_S = 10;
const GIVE_UP_MS = 10_000;

interface Kind {
  name: string;
  damage: () => Promise<Result>;
  repaired: () => Promise<boolean>;
}

/** utime+stime of a process and its threads, in clock ticks (100/s). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function main(): Promise<void> {
  const h = new TestHost("br");
  try {
    await h.setUp();
    await h.pontonOk("network", "create", "rep", "--subnet", "10.78.0.0/24");
    await h.pontonOk("run", "--name", "web", "--network", "rep", "-p", "8091:80", "--", "busybox", "httpd", "-f", "-p", "80", "-h", docRoot(h, "web", "ok"));
    await h.pontonOk("run", "--name", "keep", "--network", "rep", "--restart", "always");
    const br = (JSON.parse(await h.pontonOk("network", "inspect", "rep")) as { bridge: string }[])[0]!.bridge;
    const veth = (await inspect(h, "web")).networks[0]!.hostIfname;
    const keepVeth = (await inspect(h, "keep")).networks[0]!.hostIfname;
    // A macvlan network on a veth pair of the host's own: damage inside a workload's namespace.
    await h.inHost("ip", ["link", "add", "seg0", "type", "veth", "peer", "name", "seg1"]);
    await h.inHost("ip", ["link", "set", "seg0", "up"]);
    await h.inHost("ip", ["link", "set", "seg1", "up"]);
    await h.pontonOk("network", "create", "lan", "--driver", "macvlan", "--parent", "seg0", "--subnet", "192.168.79.0/24");
    await h.pontonOk("run", "--name", "mv", "--network", "lan", "--ip", "192.168.79.10");
    const inside = async (w: string, re: RegExp) => re.test((await h.inWorkload(w, "ip", ["addr", "show", "dev", "eth0"])).stdout) && /default via/.test((await h.inWorkload(w, "ip", ["route", "show", "default"])).stdout);
    const rules = async (chain: string) => (await h.inHost("nft", ["-s", "list", "chain", "inet", "ponton", chain])).stdout;
    const forward = await rules("forward");
    const natPre = await rules("nat_prerouting");
    const linkOn = async (name: string, master?: string) => {
      const r = await h.inHost("ip", ["-j", "link", "show", name]);
      if (r.code !== 0) return false;
      const [l] = JSON.parse(r.stdout) as { master?: string; flags: string[] }[];
      return l!.flags.includes("UP") && (master === undefined || l!.master === master);
    };
    const kinds: Kind[] = [
      { name: "flush chain forward", damage: () => h.inHost("nft", ["flush", "chain", "inet", "ponton", "forward"]), repaired: async () => (await rules("forward")) === forward },
      { name: "flush chain nat_prerouting", damage: () => h.inHost("nft", ["flush", "chain", "inet", "ponton", "nat_prerouting"]), repaired: async () => (await rules("nat_prerouting")) === natPre },
      { name: "delete table", damage: () => h.inHost("nft", ["delete", "table", "inet", "ponton"]), repaired: async () => (await rules("forward")) === forward },
      {
        name: "delete map element (pub4)",
        damage: () => h.inHost("nft", ["delete", "element", "inet", "ponton", "pub4", "{ tcp . 8091 }"]),
        repaired: async () => /tcp \. 8091 :/.test((await h.inHost("nft", ["list", "map", "inet", "ponton", "pub4"])).stdout),
      },
      { name: "delete workload veth", damage: () => h.inHost("ip", ["link", "del", veth]), repaired: () => linkOn(veth, br) },
      { name: "veth released from bridge", damage: () => h.inHost("ip", ["link", "set", veth, "nomaster"]), repaired: () => linkOn(veth, br) },
      {
        name: "delete bridge address",
        damage: () => h.inHost("ip", ["addr", "del", "10.78.0.1/24", "dev", br]),
        repaired: async () => (await h.inHost("ip", ["-4", "-o", "addr", "show", "dev", br])).stdout.includes("10.78.0.1/24"),
      },
      { name: "delete bridge", damage: () => h.inHost("ip", ["link", "del", br]), repaired: async () => (await linkOn(veth, br)) && (await linkOn(keepVeth, br)) },
      { name: "delete namespace (--restart always)", damage: () => h.inHost("ip", ["netns", "del", h.ns("keep")]), repaired: async () => (await linkOn(keepVeth, br)) && (await h.inWorkload("keep", "true", [])).code === 0 },
      { name: "flush addresses inside a workload (eth0)", damage: () => h.inWorkload("web", "ip", ["addr", "flush", "dev", "eth0"]), repaired: () => inside("web", /inet 10\.78\.0\.\d+\/24/) },
      { name: "delete macvlan child inside a workload", damage: () => h.inWorkload("mv", "ip", ["link", "del", "eth0"]), repaired: () => inside("mv", /inet 192\.168\.79\.10\/24/) },
    ].filter((k) => ONLY === undefined || k.name.includes(ONLY));

    const log = path.join(h.dir, "pontond.log");
    let logOffset = readFileSync(log, "utf8").length;
    /** pontond's own times of the repairs logged since the last call. */
    const daemonTimes = () => {
      const text = readFileSync(log, "utf8");
      const fresh = text.slice(logOffset);
      logOffset = text.length;
      return [...fresh.matchAll(/repaired .* in (\d+) ms/g)].map((m) => Number(m[1]));
    };
    const rows: { kind: string; n: number; p50: number; p95: number; max: number; daemonP50: number; daemonP95: number }[] = [];
    for (const k of kinds) {
      const samples: number[] = [];
      const inDaemon: number[] = [];
      for (let i = 0; i < N; i++) {
        const r = await k.damage();
        const t0 = performance.now();
        if (r.code !== 0) throw new Error(`${k.name}: ${r.stderr}`);
        while (!(await k.repaired())) {
          if (performance.now() - t0 > GIVE_UP_MS) throw new Error(`${k.name}: not repaired within ${GIVE_UP_MS} ms`);
          await new Promise((res) => setTimeout(res, 5)); // leave the CPU to pontond between checks
        }
        samples.push(performance.now() - t0);
        await new Promise((res) => setTimeout(res, 100)); // let the repair's own events settle
        // One damage may be repaired in more than one step (a bridge, then its ports): the sum.
        inDaemon.push(daemonTimes().reduce((a, b) => a + b, 0));
      }
      const sorted = samples.sort((a, b) => a - b);
      const own = inDaemon.sort((a, b) => a - b);
      const row = { kind: k.name, n: N, p50: Math.round(percentile(sorted, 50)), p95: Math.round(percentile(sorted, 95)), max: Math.round(sorted[sorted.length - 1]!), daemonP50: percentile(own, 50), daemonP95: percentile(own, 95) };
      rows.push(row);
      console.log(JSON.stringify(row));
    }

    // Idle: no change for IDLE_S seconds; what do pontond and its helpers spend?
    const daemon = h.daemonPid!;
    const procs = [daemon, ...childPids(daemon)];
    const before = procs.map(cpuTicks);
    await new Promise((res) => setTimeout(res, IDLE_S * 1000));
    const idleMsPerS = (procs.map(cpuTicks).reduce((s, t, i) => s + t - before[i]!, 0) * 10) / IDLE_S;
    const metrics = (await h.client.request<{ heal: Record<string, number> }>("GET", "/v1/info")).heal;

    const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
    console.log(`\nload average at the end: ${load}\n\n| damage | N | seen repaired p50 ms | p95 | max | pontond: event → repaired p50 ms | p95 |\n|---|---|---|---|---|---|---|`);
    for (const r of rows) console.log(`| ${r.kind} | ${r.n} | ${r.p50} | ${r.p95} | ${r.max} | ${r.daemonP50} | ${r.daemonP95} |`);
    console.log(`\nidle: pontond + helpers used ${idleMsPerS.toFixed(2)} ms CPU per second over ${IDLE_S} s; healer counters ${JSON.stringify(metrics)}`);
    const result = { date: new Date().toISOString(), n: N, loadAverage: load, rows, idleCpuMsPerSecond: Math.round(idleMsPerS * 100) / 100, counters: metrics };
    writeFileSync(path.join(__dirname, "..", "..", "..", "bench", "repair", "last-run.json"), JSON.stringify(result, null, 2) + "\n");
  } finally {
    await h.tearDown();
  }
}

void main();
