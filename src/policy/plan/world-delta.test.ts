import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePolicies } from "./compile";
import { PolicyCompileCache } from "./cache";
import { randomCiliumPolicies } from "../cilium/random";
import { parsePolicies } from "../parse";
import { parsedPolicies, randomPolicies, randomWorld, rng } from "../testing/random";
import type { PolicyWorld } from "../types";

// A world change (labels, workloads coming and going, addresses, ports, namespace labels) drops
// only what it can reach from the compile cache (world-delta.ts): a long random series of world and
// policy changes compiled with one cache must equal each state compiled fresh — whatever the
// cache keeps wrongly shows up as a difference here.

/** Admin tiers over the random world's labels (env, app, tier): subjects and peers by namespace and pod. */
const ADMIN = parsePolicies(`apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: web-from-b}
spec:
  priority: 10
  subject: {pods: {namespaceSelector: {matchLabels: {env: a}}, podSelector: {matchLabels: {app: w}}}}
  ingress:
  - {action: Deny, from: [{pods: {namespaceSelector: {matchLabels: {env: b}}, podSelector: {matchLabels: {tier: "2"}}}}]}
  - {action: Pass, from: [{namespaces: {matchLabels: {env: b}}}]}
  egress:
  - {action: Allow, to: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: d}}}}], ports: [{portNumber: {port: 53, protocol: UDP}}]}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress:
  - {action: Deny, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {tier: "1"}}}}]}
`);


/** One random change of the world, of each kind the engine makes (label, run, rm, address, port, namespace label). */
function worldStep(world: PolicyWorld, r: () => number, serial: number): PolicyWorld {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const i = Math.floor(r() * world.workloads.length);
  const edit = (f: (w: PolicyWorld["workloads"][number]) => PolicyWorld["workloads"][number]) => ({ ...world, workloads: world.workloads.map((w, j) => (j === i ? f(w) : w)) });
  const x = r();
  if (x < 0.35) return edit((w) => ({ ...w, labels: { ...w.labels, [pick(["app", "tier", "extra"])]: pick(["w", "d", "c", "1", "2"]) } }));
  if (x < 0.45) return edit((w) => ({ ...w, labels: Object.fromEntries(Object.entries(w.labels).filter(() => r() < 0.5)) }));
  if (x < 0.55 && world.workloads.length > 2) return { ...world, workloads: world.workloads.filter((_, j) => j !== i) };
  if (x < 0.7) {
    const host = 100 + serial;
    const w = { name: `x${serial}`, namespace: pick(world.namespaces).name, labels: { app: pick(["w", "d", "c"]), tier: pick(["1", "2"]) }, ips: [`10.20.0.${host}`, `fd00:20::${host.toString(16)}`], ports: [{ name: "web", port: pick([80, 8080]), protocol: "TCP" as const }] };
    return { ...world, workloads: [...world.workloads, w] };
  }
  if (x < 0.78) return edit((w) => ({ ...w, ips: w.ips.slice(0, 1) }));
  if (x < 0.86) return edit((w) => ({ ...w, ports: w.ports.map((p) => (p.name === "web" ? { ...p, port: p.port === 80 ? 8080 : 80 } : p)) }));
  const n = Math.floor(r() * world.namespaces.length);
  return { ...world, namespaces: world.namespaces.map((ns, j) => (j === n ? { ...ns, labels: { ...ns.labels, env: ns.labels.env === "a" ? "b" : "a" } } : ns)) };
}

for (const seed of [1, 2, 3, 4, 5, 6]) {
  test(`seed ${seed}: 40 random world and policy changes compiled with one cache equal each state compiled without`, () => {
    const r = rng(seed);
    let world = randomWorld(r);
    const pool = [...parsedPolicies([...randomPolicies(r, 30), ...randomCiliumPolicies(r, 15)]), ...ADMIN];
    let current = [...pool.slice(0, 14), ...(seed % 2 ? ADMIN : [])];
    const cache = new PolicyCompileCache();
    compilePolicies(world, current, {}, cache);
    for (let step = 0; step < 40; step++) {
      if (r() < 0.75) world = worldStep(world, r, step);
      else {
        const p = pool[Math.floor(r() * pool.length)]!;
        current = [...current.filter((q) => q.name !== p.name || q.namespace !== p.namespace || q.kind !== p.kind), p];
      }
      let fresh: unknown;
      try {
        fresh = compilePolicies(world, current);
      } catch (e) {
        assert.throws(() => compilePolicies(world, current, {}, cache), { message: (e as Error).message });
        continue;
      }
      assert.deepEqual(compilePolicies(world, current, {}, cache), fresh, `seed ${seed}, step ${step}`);
    }
  });
}

test("a label change recompiles the namespaces it reaches only: the others keep their block objects", () => {
  const ns = ["a", "b", "c"];
  const world: PolicyWorld = {
    namespaces: ns.map((name) => ({ name, labels: {} })),
    workloads: ns.flatMap((n, i) => [0, 1, 2].map((k) => ({ name: `w${k}`, namespace: n, labels: { app: `s${k}` }, ips: [`10.1.${i}.${k + 1}`], ports: [] }))),
  };
  const np = (n: string, name: string, from: string) => `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: ${n}}\nspec:\n  podSelector: {matchLabels: {app: s0}}\n  ingress: [{from: [${from}]}]\n`;
  // a and b admit their own s1; c admits s1 of every namespace (so a's relabel reaches it).
  const policies = parsePolicies([np("a", "own", "{podSelector: {matchLabels: {app: s1}}}"), np("b", "own", "{podSelector: {matchLabels: {app: s1}}}"), np("c", "all", "{namespaceSelector: {}, podSelector: {matchLabels: {app: s1}}}")].join("---\n"));
  const cache = new PolicyCompileCache();
  compilePolicies(world, policies, {}, cache);
  const blocks = new Map(cache.blocks);
  const relabelled = { ...world, workloads: world.workloads.map((w) => (w.namespace === "a" && w.name === "w2" ? { ...w, labels: { app: "s1" } } : w)) };
  const plan = compilePolicies(relabelled, policies, {}, cache);
  const made = (n: string) => [...cache.blocks].filter(([k]) => k.startsWith(`${n}\t`)).map(([k, v]) => blocks.get(k) !== v);
  assert.deepEqual(made("a"), [true], "the relabelled workload's namespace");
  assert.deepEqual(made("b"), [false], "nothing there selects it");
  assert.deepEqual(made("c"), [true], "its policy's peers select it");
  assert.deepEqual(plan, compilePolicies(relabelled, policies));
  // b's subject stops being one (no peer selects s0 or s2): only its own namespace is made again.
  const again = new Map(cache.blocks);
  const unselected = { ...relabelled, workloads: relabelled.workloads.map((w) => (w.namespace === "b" && w.name === "w0" ? { ...w, labels: { app: "s2" } } : w)) };
  assert.deepEqual(compilePolicies(unselected, policies, {}, cache), compilePolicies(unselected, policies));
  const remade = (n: string) => [...cache.blocks].filter(([k]) => k.startsWith(`${n}\t`)).map(([k, v]) => again.get(k) !== v);
  assert.deepEqual([remade("a"), remade("b"), remade("c")], [[false], [true], [false]]);
});
