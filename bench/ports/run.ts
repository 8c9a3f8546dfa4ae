// Published ports (issues 14 and 15): what holding the ports costs, in one run, in throwaway namespaces.
//  - data path, from another machine to a published port, alternated rounds, medians:
//      kernel DNAT on the host's IPv4 address; kernel DNAT on its IPv6 address (dual-stack workload);
//      the port holder's relay on its IPv6 address (IPv4-only workload: nft cannot NAT across families);
//    one TCP stream (Gbit/s) and new connections/s (10 in parallel), plain Node on both ends;
//  - control plane: run + rm of a workload with no port vs one published port (p50);
//    publishing a 1,000-port range; the holder's memory with 2 and with 1,004 ports held.
// Run: npm run build && sudo node dist/bench/ports/run.js [--rounds N]
import path from "node:path";
import { readFileSync } from "node:fs";
import { TestHost, UPLINK_HOST, UPLINK_HOST6 } from "../../test/integration/harness";
import { nowMs } from "../lib/proc";
import { percentile, timeEach } from "../lib/stats";
import { median, round2 } from "../lib/traffic";

const ROUNDS = Number(process.argv[process.argv.indexOf("--rounds") + 1] ?? 3) || 3;
const TRAFFIC = path.join(__dirname, "node-traffic.js");
const log = (x: string) => console.log(x);

const PATHS = [
  { name: "IPv4, kernel DNAT", host: UPLINK_HOST, http: 8080, bulk: 5201 },
  { name: "IPv6, kernel DNAT (dual-stack workload)", host: UPLINK_HOST6, http: 8081, bulk: 5202 },
  { name: "IPv6 -> IPv4-only workload, holder relay", host: UPLINK_HOST6, http: 8080, bulk: 5201 },
];

async function holderRssMiB(h: TestHost): Promise<number> {
  const pid = (await h.inHost("pgrep", ["-f", `holder-main.js ${h.stateDir}`])).stdout.trim();
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
  return round2(kb / 1024);
}

async function main(): Promise<void> {
  const h = await new TestHost("bpo").setUp();
  try {
    await h.pontonOk("network", "create", "v4", "--subnet", "172.31.0.0/24");
    await h.pontonOk("network", "create", "ds", "--subnet", "172.31.1.0/24", "--ipv6", "--subnet6", "fd00:31:1::/64");
    const server = [process.execPath, TRAFFIC, "server"];
    await h.client.request("POST", "/v1/workloads", { name: "four", networks: ["v4"], ports: ["8080:80", "5201:5201"], command: server });
    await h.client.request("POST", "/v1/workloads", { name: "dual", networks: ["ds"], ports: ["8081:80", "5202:5201"], command: server });
    const client = (args: string[]) => h.inOutside(process.execPath, [TRAFFIC, ...args], 60_000).then((r) => Number(r.stdout.trim()));
    // Both servers answer before anything is timed.
    for (const p of PATHS) for (let i = 0; i < 50 && !((await client(["conns", p.host, String(p.http), "0.2", "1"])) > 0); i++);

    const figures = PATHS.map(() => ({ gbits: [] as number[], conns: [] as number[] }));
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [...PATHS.keys()].reverse() : [...PATHS.keys()];
      for (const i of order) {
        figures[i]!.gbits.push(await client(["bulk", PATHS[i]!.host, String(PATHS[i]!.bulk), "512"]));
        figures[i]!.conns.push(await client(["conns", PATHS[i]!.host, String(PATHS[i]!.http), "3", "10"]));
      }
    }
    log(`data path, ${ROUNDS} rounds (medians):`);
    log("| path | TCP stream Gbit/s | new conn/s | vs IPv4 kernel DNAT |");
    log("|---|---|---|---|");
    const base = figures[0]!;
    for (const [i, p] of PATHS.entries()) {
      const g = median(figures[i]!.gbits);
      const c = median(figures[i]!.conns);
      log(`| ${p.name} | ${round2(g)} | ${Math.round(c)} | ${round2(g / median(base.gbits))}x / ${round2(c / median(base.conns))}x |`);
    }

    const rssSmall = await holderRssMiB(h);
    let n = 0;
    const cycle = (ports: string[]) => async () => {
      const name = `cp${n++}`;
      await h.client.request("POST", "/v1/workloads", { name, networks: ["v4"], ports });
      await h.client.request("DELETE", `/v1/workloads/${name}?force=1&time=0`);
    };
    const none = (await timeEach(20, cycle([]))).sort((a, b) => a - b);
    const one = (await timeEach(20, cycle(["9100:80"]))).sort((a, b) => a - b);
    log(`control plane: run + rm, p50 ${round2(percentile(none, 50))} ms without a port, ${round2(percentile(one, 50))} ms with one published port`);
    const t = nowMs();
    await h.client.request("POST", "/v1/workloads", { name: "range", networks: ["v4"], ports: ["20000-20999:80"] });
    log(`publish 20000-20999:80 (1,000 ports): ${Math.round(nowMs() - t)} ms`);
    log(`port holder RSS: ${rssSmall} MiB with 4 ports held, ${await holderRssMiB(h)} MiB with 1,004`);
  } finally {
    await h.tearDown();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
