// The compile part of one policy change (pure: no kernel, no daemon), at 1,000 policies over 1,000
// workloads (world.ts): a whole compile vs the cached one pontond runs (src/policy/plan/cache.ts),
// interleaved in one process, the changed policy's port alternating. Prints p50/p95 of each.
// Run: node dist/bench/policy/change-compile.js [--changes N]
import { loadavg } from "node:os";
import { compilePolicies, parsePolicy, PolicyCompileCache, type PolicyWorld } from "../../src/policy";
import { percentile } from "../lib/stats";
import { NAMESPACES, PER_NAMESPACE, namespaceSpec, policyFor, workloadSpec } from "./world";

const changes = Number(process.argv[process.argv.indexOf("--changes") + 1] ?? 30) || 30;

const workloads = [];
for (let n = 0; n < NAMESPACES; n++) for (let k = 0; k < PER_NAMESPACE; k++) {
  const w = workloadSpec(n, k);
  const host = n * PER_NAMESPACE + k + 2;
  workloads.push({ name: w.name, namespace: w.namespace, labels: w.labels, ips: [`10.200.${host >> 8}.${host & 255}`], ports: [] });
}
const world: PolicyWorld = { namespaces: Array.from({ length: NAMESPACES }, (_, n) => namespaceSpec(n)), workloads };
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
