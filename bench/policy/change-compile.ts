// The compile part of one policy change (pure: no kernel, no daemon), at 1,000 policies over 1,000
// workloads (world.ts): a whole compile vs the cached one pontond runs (src/policy/plan/cache.ts),
// interleaved in one process, the changed policy's port alternating. Prints p50/p95 of each.
// Run: node dist/bench/policy/change-compile.js [--changes N]
import { loadavg } from "node:os";
import { compilePolicies, parsePolicy, PolicyCompileCache } from "../../src/policy";
import { percentile } from "../lib/stats";
import { NAMESPACES, PER_NAMESPACE, policyFor, policyWorld } from "./world";

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
const sum = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: Math.round(percentile(s, 50) * 10) / 10, p95: Math.round(percentile(s, 95) * 10) / 10 };
};
console.log(JSON.stringify({ changes, load: loadavg().map((l) => l.toFixed(1)).join(" "), whole: sum(whole), cached: sum(cached) }));
