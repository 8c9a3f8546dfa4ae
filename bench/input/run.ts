// Bad and large input (issue 14): (1) the service compile's cost for one workload with N labels,
// which was O(N²) (each label list compared the whole label map); (2) the latency of an ordinary
// change (label a namespace) alone, during a request with the most labels allowed, and during a
// 10,000-label request (refused at the limit). Prints figures; asserts nothing.
//   node dist/bench/input/run.js
import { performance } from "node:perf_hooks";
import { TestHost } from "../../test/integration/harness";
import { ServiceCompiler } from "../../src/compile/services/service-compiler";
import { MAX_LABELS } from "../../src/model/limits";
import type { DesiredState } from "../../src/model/types";

const labels = (n: number, tag = "v") => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `${tag}${i}`]));

function stateWith(n: number, tag: string): DesiredState {
  const net = { id: "n1", name: "web", driver: "bridge" as const, bridge: "pbr-n1", subnet4: "172.30.0.0/24", gateway4: "172.30.0.1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
  const w = { id: "w1", name: "w1", labels: labels(n, tag), netnsMode: "owned" as const, netns: "x", command: [], env: {}, restart: "no" as const, routes: [], ports: [], state: "running" as const, createdAt: "" };
  const a = { workloadId: "w1", networkId: "n1", ifname: "eth0", hostIfname: "pve-1", mac: "02:00:00:00:00:01", ip4: "172.30.0.2", index: 0 };
  return { networks: [net], workloads: [w], attachments: [a], userRules: [], services: [], namespaces: [], policies: [] };
}

function compileCost(): void {
  console.log("service compile, one workload with N labels (ms)");
  console.log("| N | first compile | after every value changed |");
  console.log("|---|---|---|");
  for (const n of [1000, 2000, 4000, 10_000]) {
    const c = new ServiceCompiler();
    let t = performance.now();
    c.compile(stateWith(n, "a"));
    const first = performance.now() - t;
    t = performance.now();
    c.compile(stateWith(n, "b"));
    console.log(`| ${n} | ${first.toFixed(1)} | ${(performance.now() - t).toFixed(1)} |`);
  }
}

async function latency(h: TestHost, rounds: number, during?: () => Promise<unknown>): Promise<{ p50: number; max: number; heavyMs?: number }> {
  const times: number[] = [];
  let heavyMs: number | undefined;
  const heavy = during
    ? (async () => {
        const t = performance.now();
        await during().catch(() => undefined);
        heavyMs = performance.now() - t;
      })()
    : undefined;
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await h.client.request("POST", "/v1/namespaces/bench/labels", { set: { round: String(i) } });
    times.push(performance.now() - t);
  }
  await heavy;
  times.sort((x, y) => x - y);
  return { p50: times[Math.floor(times.length / 2)]!, max: times[times.length - 1]!, ...(heavyMs !== undefined ? { heavyMs } : {}) };
}

async function apiLatency(): Promise<void> {
  const h = await new TestHost("bin").setUp();
  try {
    await h.pontonOk("network", "create", "net0", "--subnet", "10.77.0.0/24");
    await h.pontonOk("run", "--name", "w0", "--network", "net0");
    await h.client.request("POST", "/v1/namespaces", { name: "bench" });
    const row = (what: string, r: { p50: number; max: number; heavyMs?: number }) =>
      console.log(`| ${what} | ${r.p50.toFixed(1)} | ${r.max.toFixed(1)} | ${r.heavyMs === undefined ? "" : r.heavyMs.toFixed(1)} |`);
    console.log("\nAPI: an ordinary change (label a namespace), 20 in a row (ms)");
    console.log("| while | p50 | max | the large request took |");
    console.log("|---|---|---|---|");
    row("nothing else", await latency(h, 20));
    let k = 0;
    row(`labelling a workload with ${MAX_LABELS} labels (the limit)`, await latency(h, 20, () => h.client.request("POST", "/v1/workloads/w0/labels", { set: labels(MAX_LABELS, `x${k++}-`) })));
    row("a 10,000-label request (refused)", await latency(h, 20, () => h.client.request("POST", "/v1/workloads/w0/labels", { set: labels(10_000) })));
  } finally {
    await h.tearDown();
  }
}

void (async () => {
  compileCost();
  await apiLatency();
})();
