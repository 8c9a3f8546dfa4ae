// The compile part of one policy change (pure: no kernel, no daemon), at 1,000 policies over 1,000
// workloads (world.ts): a whole compile vs the cached one pontond runs (src/policy/plan/cache.ts),
// interleaved in one process, the changed policy's port alternating; then a workload label change
// (PROBER's access=server flipping: SERVER's ingress elements change), whole vs cached (the cache
// drops only what the changed workload reaches, plan/world-delta.ts). Prints p50/p95 of each.
// Run: node dist/bench/policy/change-compile.js [--changes N]
import { loadavg } from "node:os";
import { compilePolicies, parsePolicy, PolicyCompileCache } from "../../src/policy";
import { percentile } from "../lib/stats";
import { NAMESPACES, PER_NAMESPACE, PROBER, policyFor, policyWorld } from "./world";

const changes = Number(process.argv[process.argv.indexOf("--changes") + 1] ?? 30) || 30;

const world = policyWorld();
// Frozen, as the store hands them out.
const freeze = <T>(x: T): T => (x && typeof x === "object" ? (Object.values(x).forEach(freeze), Object.freeze(x)) : x);
const policies = Array.from({ length: NAMESPACES * PER_NAMESPACE }, (_, i) => freeze(parsePolicy(policyFor(Math.floor(i / PER_NAMESPACE), i % PER_NAMESPACE))));
const change = (port: number) =>
  freeze(parsePolicy({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "bench-change", namespace: "t05" }, spec: { podSelector: { matchLabels: { app: "svc7" } }, ingress: [{ from: [{ podSelector: { matchLabels: { tier: "web" } } }], ports: [{ port }] }] } }));

const cache = new PolicyCompileCache();
compilePolicies(world, [...policies, change(8080)], {}, cache);
const whole: number[] = [];
const cached: number[] = [];
const time = (f: () => unknown) => {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e6;
};
for (let i = 0; i < changes; i++) {
  const set = [...policies, change(8081 + (i % 2))];
  whole.push(time(() => compilePolicies(world, set)));
  cached.push(time(() => compilePolicies(world, set, {}, cache)));
}
// A label change: the world differs, the policies do not.
const base = [...policies, change(8081)];
const labelWhole: number[] = [];
const labelCached: number[] = [];
for (let i = 0; i < changes; i++) {
  const flipped = { ...world, workloads: world.workloads.map((w) => (w.name === PROBER ? freeze({ ...w, labels: i % 2 === 0 ? { ...w.labels, access: "server" } : w.labels }) : w)) };
  labelWhole.push(time(() => compilePolicies(flipped, base)));
  labelCached.push(time(() => compilePolicies(flipped, base, {}, cache)));
}
const sum = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: Math.round(percentile(s, 50) * 10) / 10, p95: Math.round(percentile(s, 95) * 10) / 10 };
};
console.log(JSON.stringify({ changes, load: loadavg().map((l) => l.toFixed(1)).join(" "), whole: sum(whole), cached: sum(cached), labelWhole: sum(labelWhole), labelCached: sum(labelCached) }));
