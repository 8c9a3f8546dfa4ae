// New connections per second through a VIP with 1 and with N services loaded, read as a ratio with
// as little of this machine's drift as possible: two engines run side by side (two throwaway hosts,
// one with 1 filler service, one with N), and each round measures, in turn, direct and VIP on one,
// then on the other. Only wrk (no iperf3 between rounds), 6 rounds after a warm-up, medians.
// Run: npx tsc -p tsconfig.json && sudo node dist/bench/services/conn-rate.js [N] [--flow-log off]
import { TestHost } from "../../test/integration/harness";
import { median, reuseTimeWait, round2, serverScript, wrk, type Runner } from "../lib/traffic";

const VIP = "10.96.0.10";
const n = Number(process.argv[2] ?? 10000);
const flowLogOff = process.argv.includes("off");
const ROUNDS = 6;
const filler = (i: number) => ({ name: `f${i}`, ports: ["80/tcp"], selector: ["app=filler"], vip: `10.96.${100 + Math.floor(i / 250)}.${(i % 250) + 1}` });

interface Engine {
  h: TestHost;
  cli: Runner;
  direct: string;
}

/** A host with a backend, a client, two filler backends, service `target` and `count` fillers (two endpoints each). */
async function engine(tag: string, count: number): Promise<Engine> {
  const h = new TestHost(tag);
  if (flowLogOff) h.daemonArgs = ["--flow-log", "off"];
  await h.setUp();
  await h.pontonOk("network", "create", "web", "--subnet", "172.30.0.0/24");
  await h.pontonOk("run", "--name", "srv", "--network", "web", "--label", "app=srv", "--", "sh", "-c", serverScript(process.execPath));
  await h.pontonOk("run", "--name", "cli", "--network", "web");
  for (const b of ["fb1", "fb2"]) await h.pontonOk("run", "--name", b, "--network", "web", "--label", "app=filler");
  const cli: Runner = (cmd, args, t) => h.inWorkload("cli", cmd, args, t);
  await reuseTimeWait(cli);
  await h.pontonOk("service", "create", "target", "--port", "80/tcp", "--selector", "app=srv", "--vip", VIP);
  const srv = JSON.parse(await h.pontonOk("inspect", "srv", "-o", "json")) as { networks?: { ip4?: string }[] }[];
  for (let i = 0; i < count; i += 2000) {
    await h.client.request("POST", "/v1/services/batch", { services: Array.from({ length: Math.min(2000, count - i) }, (_, j) => filler(i + j)) });
  }
  await wrk(cli, `http://${VIP}/`, 2);
  return { h, cli, direct: srv[0]?.networks?.[0]?.ip4 ?? "172.30.0.2" };
}

async function main(): Promise<void> {
  const engines: Engine[] = [];
  try {
    engines.push(await engine("bc1", 1), await engine("bcn", n));
    const [one, many] = engines as [Engine, Engine];
    const cases = [
      ["direct, 1", one, one.direct],
      ["VIP, 1", one, VIP],
      [`direct, ${n}`, many, many.direct],
      [`VIP, ${n}`, many, VIP],
    ] as const;
    const rates = new Map<string, number[]>(cases.map(([label]) => [label, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [label, e, addr] of cases) {
        await e.h.inHost("conntrack", ["-F"]);
        await new Promise((r) => setTimeout(r, 500));
        rates.get(label)!.push(Math.round((await wrk(e.cli, `http://${addr}/`, 3)).rps));
      }
    }
    const m = Object.fromEntries([...rates].map(([label, xs]) => [label, median(xs)]));
    console.log(JSON.stringify({ services: n, flowLog: flowLogOff ? "off" : "on", rates: Object.fromEntries(rates), median: m }));
    const [d1, v1, dn, vn] = cases.map(([label]) => m[label]!);
    console.log(`VIP ${n} / VIP 1: ${round2(vn / v1)}   direct ${n} / direct 1: ${round2(dn / d1)}   VIP/direct: ${round2(v1 / d1)} (1), ${round2(vn / dn)} (${n})`);
  } finally {
    for (const e of engines) await e.h.tearDown();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
