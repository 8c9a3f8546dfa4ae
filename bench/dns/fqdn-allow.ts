// toFQDNs (issue 18, "Measures"): the time from the DNS answer to its addresses being allowed, and
// what that costs a query. One pontond in a throwaway host namespace (the test harness), an outside
// resolver the bench runs (never a public one) answering N distinct names, each with its own address.
//  - in the daemon: answer ready -> kernel committed the FQDN element (netlink), p50/p99
//    (`ponton info`'s fqdn.answerToAllowedMs over the run);
//  - from the workloads: query round trip of a workload a toFQDNs policy watches (its answer waits
//    for the write) vs one no policy watches (the same path without it), distinct names, p50/p99.
// Run: npx tsc -p tsconfig.json && sudo node dist/bench/dns/fqdn-allow.js [--names N]
import { writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, OUTSIDE_A } from "../../test/integration/harness";
import { percentile } from "../lib/stats";
import { FQDN_POLICY as POLICY } from "../../test/integration/policy/fqdn-policy";

const N = Number(process.argv[process.argv.indexOf("--names") + 1] ?? 400) || 400;
const addr = (i: number) => `10.250.${i >> 8}.${i & 255}`;

// In the workload: N sequential queries to the resolver, each name once; prints the round trips (ms).
const CLIENT = `const dgram = require("dgram"), pk = require(${JSON.stringify(require.resolve("dns-packet"))});
const [resolver, prefix, from, to] = process.argv.slice(1); const s = dgram.createSocket("udp4"); const out = [];
let i = Number(from), t = 0n;
const next = () => { if (i >= Number(to)) { console.log(JSON.stringify(out)); s.close(); return; }
  t = process.hrtime.bigint(); s.send(pk.encode({ type: "query", id: (i % 65535) + 1, flags: pk.RECURSION_DESIRED, questions: [{ type: "A", name: prefix + "-" + i + ".example.test" }] }), 53, resolver); };
s.on("message", () => { out.push(Number(process.hrtime.bigint() - t) / 1e6); i++; next(); });
next();`;


const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: +percentile(s, 50).toFixed(3), p99: +percentile(s, 99).toFixed(3) };
};

void (async () => {
  const h = await new TestHost("bfq").setUp();
  try {
    const table: Record<string, [string, number]> = {};
    for (let i = 0; i < N; i++) {
      table[`w-${i}.example.test`] = [addr(i), 300];
      table[`u-${i}.example.test`] = [addr(N + i), 300];
      table[`warm-${i}.example.test`] = [addr(2 * N + i), 300];
    }
    const tableFile = path.join(h.dir, "table.json");
    writeFileSync(tableFile, JSON.stringify(table));
    h.spawnIn(h.outsideNs, "sh", ["-c", `exec ${process.execPath} ${path.join(__dirname, "..", "..", "test", "integration", "fqdn-upstream.js")} ${OUTSIDE_A} 53 "$(cat ${tableFile})"`]);
    await h.pontonOk("network", "create", "front", "--subnet", "172.45.0.0/24");
    await h.pontonOk("run", "--name", "app", "--network", "front", "--label", "app=app");
    await h.pontonOk("run", "--name", "other", "--network", "front", "--label", "app=other");
    const file = path.join(h.dir, "fqdn.yaml");
    writeFileSync(file, POLICY);
    await h.pontonOk("policy", "apply", "-f", file);
    const run = async (who: string, prefix: string, from: number, to: number) => JSON.parse((await h.inWorkload(who, process.execPath, ["-e", CLIENT, "172.45.0.1", prefix, String(from), String(to)], 120_000)).stdout) as number[];
    await run("app", "warm", 0, Math.min(50, N)); // the netlink helper and JIT warm
    const before = (await h.client.request("GET", "/v1/info")) as { fqdn: { writes: number } };
    // Alternate halves so load drift hits both sides alike.
    const watched: number[] = [];
    const unwatched: number[] = [];
    const half = Math.floor(N / 2);
    watched.push(...(await run("app", "w", 0, half)));
    unwatched.push(...(await run("other", "u", 0, half)));
    unwatched.push(...(await run("other", "u", half, N)));
    watched.push(...(await run("app", "w", half, N)));
    const info = (await h.client.request("GET", "/v1/info")) as { fqdn: { learned: number; writes: number; answerToAllowedMs: { p50: number; p99: number } } };
    const result = {
      names: N,
      load: (await import("node:os")).loadavg().map((x) => +x.toFixed(2)),
      daemonAnswerToAllowedMs: { ...info.fqdn.answerToAllowedMs, writes: info.fqdn.writes - before.fqdn.writes },
      learnedElements: info.fqdn.learned,
      queryRoundTripMs: { watchedToFqdns: summary(watched), unwatched: summary(unwatched) },
    };
    console.log(JSON.stringify(result, null, 2));
    writeFileSync(path.join(__dirname, "..", "..", "..", "bench", "dns", "fqdn-last-run.json"), JSON.stringify(result, null, 2) + "\n");
  } finally {
    await h.tearDown();
  }
})();
