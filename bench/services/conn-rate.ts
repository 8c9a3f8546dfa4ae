// New connections per second through a VIP and directly, with N services loaded, in one engine:
// only wrk (no iperf3 between rounds), 4 alternating rounds after a warm-up, so the VIP-vs-direct and
// 1-vs-10,000 ratios are read with less noise than in run.ts's full mix.
// Run: npx tsc -p tsconfig.json && sudo node dist/bench/services/conn-rate.js [N] [--flow-log off]
import { TestHost } from "../../test/integration/harness";
import { median, reuseTimeWait, serverScript, wrk, type Runner } from "../lib/traffic";

const VIP = "10.96.0.10";
const n = Number(process.argv[2] ?? 10000);
const flowLogOff = process.argv.includes("off");
const filler = (i: number) => ({ name: `f${i}`, ports: ["80/tcp"], selector: ["app=filler"], vip: `10.96.${100 + Math.floor(i / 250)}.${(i % 250) + 1}` });

async function main(): Promise<void> {
  const h = new TestHost("bcr");
  if (flowLogOff) h.daemonArgs = ["--flow-log", "off"];
  await h.setUp();
  try {
    await h.pontonOk("network", "create", "web", "--subnet", "172.30.0.0/24");
    await h.pontonOk("run", "--name", "srv", "--network", "web", "--label", "app=srv", "--", "sh", "-c", serverScript(process.execPath));
    await h.pontonOk("run", "--name", "cli", "--network", "web");
    for (const b of ["fb1", "fb2"]) await h.pontonOk("run", "--name", b, "--network", "web", "--label", "app=filler");
    const cli: Runner = (cmd, args, t) => h.inWorkload("cli", cmd, args, t);
    await reuseTimeWait(cli);
    await h.pontonOk("service", "create", "target", "--port", "80/tcp", "--selector", "app=srv", "--vip", VIP);
    const srv = JSON.parse(await h.pontonOk("inspect", "srv", "-o", "json")) as { networks?: { ip4?: string }[] }[];
    const direct = srv[0]?.networks?.[0]?.ip4 ?? "172.30.0.2";
    for (let i = 0; i < n; i += 2000) {
      await h.client.request("POST", "/v1/services/batch", { services: Array.from({ length: Math.min(2000, n - i) }, (_, j) => filler(i + j)) });
    }
    await wrk(cli, `http://${VIP}/`, 2);
    const rates: Record<"direct" | "vip", number[]> = { direct: [], vip: [] };
    for (let round = 0; round < 4; round++) {
      for (const [k, addr] of [["direct", direct], ["vip", VIP]] as const) {
        await h.inHost("conntrack", ["-F"]);
        await new Promise((r) => setTimeout(r, 500));
        rates[k].push(Math.round((await wrk(cli, `http://${addr}/`, 3)).rps));
      }
    }
    const m = { direct: median(rates.direct), vip: median(rates.vip) };
    console.log(JSON.stringify({ services: n, flowLog: flowLogOff ? "off" : "on", ...rates, median: m, vipVsDirect: Math.round((m.vip / m.direct) * 100) / 100 }));
  } finally {
    await h.tearDown();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
