// The web UI under load (issue 19), in Debian's chromium: (1) first render of the flow table and of
// the service map with 100 workloads and 10,000 flows in the buffer; (2) responsiveness while
// 1,000 flows/s arrive (timer lag in the page, and how long a filter keystroke takes to show);
// (3) the page's JS heap and DOM size over time at that rate. The UI server is the real one; the
// data behind it is synthetic (an object answering the few engine calls the UI makes), so only the
// browser side is measured. Prints figures; asserts nothing.
//   node dist/bench/ui/run.js [seconds-at-1000/s, default 30]
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Engine } from "../../src/engine";
import type { FlowRecord } from "../../src/flows";
import { uiServer } from "../../src/api/ui/ui-server";
import { launchIn } from "../../test/integration/browser";

const WORKLOADS = 100;
const GROUPS = 20;
const BUFFER = 10_000;
const RATE = 1000;
const PORT = 12_931;

const workloads = Array.from({ length: WORKLOADS }, (_, i) => {
  const g = `app${i % GROUPS}`;
  return { name: `${g}-${Math.floor(i / GROUPS) + 1}`, namespace: "bench", state: "running", labels: { app: g }, replicaOf: g, networks: [{ network: "front", ip4: `10.60.${Math.floor(i / 250)}.${(i % 250) + 2}` }] };
});

let seq = 0;
function flow(): FlowRecord {
  const a = workloads[seq % WORKLOADS]!;
  // Each group talks to the next two: a map of 20 nodes and 40 edges.
  const b = workloads[(seq * 7 + GROUPS + (seq % 2 ? 1 : 2)) % WORKLOADS]!;
  const dropped = seq % 10 === 0;
  const end = (w: typeof a, port?: number) => ({ ip: w.networks[0]!.ip4, workload: w.name, namespace: "bench", labels: w.labels, network: "front", ...(port ? { port } : {}) });
  return {
    seq: seq++,
    time: new Date().toISOString(),
    verdict: dropped ? "DROPPED" : "FORWARDED",
    ipVersion: 4,
    protocol: "tcp",
    source: end(a, 40000 + (seq % 20000)),
    destination: end(b, [80, 443, 5432][seq % 3]),
    tcpFlags: ["SYN"],
    interfaces: { in: "pbr-1", out: "pbr-1" },
    ...(dropped ? { direction: "ingress" as const, dropReason: "POLICY_DENIED" as const, summary: "default deny (ingress): isolated by bench/deny", policies: ["bench/deny"] } : { summary: "no policy isolates", policies: [] }),
  };
}

const buffer: FlowRecord[] = Array.from({ length: BUFFER }, flow);
const followers = new Set<(r: FlowRecord) => void>();
const engine = {
  list: () => workloads,
  listServices: () => [],
  listPolicies: () => [],
  listNamespaces: () => [{ name: "bench", labels: {}, workloads: WORKLOADS, policies: 0 }],
  observe: (_q: unknown, limit: number) => buffer.slice(-limit),
  followFlows: (_q: unknown, cb: (r: FlowRecord) => void) => {
    followers.add(cb);
    return () => followers.delete(cb);
  },
} as unknown as Engine;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 30);
  const server = await uiServer(engine, { host: "127.0.0.1", port: PORT });
  const dir = mkdtempSync(path.join(os.tmpdir(), "ponton-ui-bench-"));
  const b = await launchIn(undefined, dir, "bench");
  let feed: NodeJS.Timeout | undefined;
  try {
    const page = await b.context.newPage();
    const cdp = await b.context.newCDPSession(page);
    await cdp.send("Performance.enable");
    const heap = async () => {
      const { metrics } = (await cdp.send("Performance.getMetrics")) as { metrics: { name: string; value: number }[] };
      const m = (n: string) => metrics.find((x) => x.name === n)?.value ?? 0;
      return { heapMiB: m("JSHeapUsedSize") / 2 ** 20, nodes: m("Nodes") };
    };
    console.log(`load average at start: ${os.loadavg().map((x) => x.toFixed(1)).join(" ")} (${os.cpus().length} cores)`);
    console.log(`\n1. first render (${WORKLOADS} workloads, ${BUFFER} flows in the buffer), ms from navigation start`);
    for (const [view, ready] of [["flows", "[data-testid=flow-table] tbody tr"], ["map/bench", "[data-testid=service-map] [data-edge]"]] as const) {
      const runs: number[] = [];
      for (let i = 0; i < 3; i++) {
        await page.goto("about:blank");
        await page.goto(`http://127.0.0.1:${PORT}/#/${view}`);
        await page.locator(ready).first().waitFor();
        await page.waitForFunction(`document.querySelector("[data-testid=flow-count]")?.textContent.includes("of ${BUFFER}") ?? document.querySelectorAll("[data-edge]").length > 0`);
        runs.push(await page.evaluate("performance.now()"));
      }
      const timing = (await page.evaluate(`performance.getEntriesByType("resource").filter((e) => e.name.includes("/v1/flows")).map((e) => [e.responseStart - e.startTime, e.responseEnd - e.responseStart, e.transferSize])[0]`)) as number[];
      const script = (await page.evaluate(`performance.getEntriesByType("resource").filter((e) => e.name.endsWith("/app.js")).map((e) => e.responseEnd)[0]`)) as number;
      console.log(`   ${view}: ${runs.map((x) => x.toFixed(0)).join(", ")} (last run: app.js loaded at ${script.toFixed(0)}; flows fetch waited ${timing[0]!.toFixed(0)} ms for the server, ${timing[1]!.toFixed(0)} ms to receive ${(timing[2]! / 2 ** 20).toFixed(1)} MiB)`);
    }

    console.log(`\n2. while ${RATE} flows/s arrive (batched by the server every 250 ms)`);
    await page.goto(`http://127.0.0.1:${PORT}/#/flows`);
    await page.locator("[data-testid=flow-table] tbody tr").first().waitFor();
    feed = setInterval(() => {
      for (let i = 0; i < RATE / 100; i++) {
        const r = flow();
        buffer.push(r);
        buffer.shift();
        for (const f of followers) f(r);
      }
    }, 10);
    // Timer lag in the page: how late a 50 ms interval fires (a janky page fires late).
    await page.evaluate(`window.__lag = []; { let last = performance.now(); setInterval(() => { const n = performance.now(); window.__lag.push(n - last - 50); last = n; }, 50); }`);
    const samples: string[] = [];
    const start = Date.now();
    const keystrokes: number[] = [];
    for (let t = 5; t <= seconds; t += 5) {
      await sleep(start + t * 1000 - Date.now());
      const h = await heap();
      samples.push(`${t}s: ${h.heapMiB.toFixed(1)} MiB, ${h.nodes} DOM nodes`);
      // A filter keystroke: from the input event to the table showing only matching rows.
      const filter = t % 10 === 0 ? "app=app3" : "app=app7";
      keystrokes.push(
        await page.evaluate(`new Promise((done) => {
          const input = document.querySelector("[data-testid=flow-filter]");
          const t0 = performance.now();
          input.value = ${JSON.stringify(filter)};
          input.dispatchEvent(new Event("input", { bubbles: true }));
          const check = () => [...document.querySelectorAll("[data-testid=flow-table] tbody tr")].slice(0, 5).every((r) => r.textContent.includes("${filter.slice(4)}-")) ? done(performance.now() - t0) : requestAnimationFrame(check);
          requestAnimationFrame(check);
        })`),
      );
    }
    const lag = ((await page.evaluate("window.__lag")) as number[]).sort((a, b) => a - b);
    const q = (p: number) => lag[Math.min(lag.length - 1, Math.floor(p * lag.length))]!.toFixed(0);
    console.log(`   timer lag over ${seconds} s (${lag.length} ticks): p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, p99 ${q(0.99)} ms, max ${lag.at(-1)!.toFixed(0)} ms`);
    console.log(`   filter keystroke to table updated: ${keystrokes.map((x) => x.toFixed(0)).join(", ")} ms`);
    const count = await page.locator("[data-testid=flow-count]").innerText();
    console.log(`   flow count line at the end: "${count}"`);
    console.log(`\n3. page memory at ${RATE} flows/s (buffer capped at ${BUFFER} records, 200 rows drawn)`);
    for (const s of samples) console.log(`   ${s}`);
    console.log(`\nload average at end: ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
  } finally {
    if (feed) clearInterval(feed);
    await b.close();
    server.close();
    server.closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
