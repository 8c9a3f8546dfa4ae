import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePolicies } from "./compile";
import { PolicyCompileCache, sameWorld } from "./cache";
import { MAP } from "./names";
import { randomCiliumPolicies } from "../cilium/random";
import { parsedPolicies, randomPolicies, randomWorld, rng } from "../testing/random";
import type { NetworkPolicy, PolicyWorld } from "../types";

// The compile cache must never change a result: a long random series of changes (policies added,
// edited, removed; the world relabelled) compiled with one cache equals each state compiled fresh.


function relabel(world: PolicyWorld, r: () => number): PolicyWorld {
  const i = Math.floor(r() * world.workloads.length);
  return { ...world, workloads: world.workloads.map((w, j) => (j === i ? { ...w, labels: { ...w.labels, tier: r() < 0.5 ? "1" : "2" } } : w)) };
}

for (const seed of [1, 2, 3, 4, 5, 6]) {
  test(`seed ${seed}: 40 random changes compiled with one cache equal each state compiled without`, () => {
    const r = rng(seed);
    let world = randomWorld(r);
    const pool = parsedPolicies([...randomPolicies(r, 30), ...randomCiliumPolicies(r, 15)]);
    let current = pool.slice(0, 10);
    const cache = new PolicyCompileCache();
    for (let step = 0; step < 40; step++) {
      const x = r();
      if (x < 0.1) world = relabel(world, r);
      else if (x < 0.4 && current.length > 1) current = current.filter((_, i) => i !== Math.floor(r() * current.length));
      else {
        const p = pool[Math.floor(r() * pool.length)]!;
        current = [...current.filter((q) => q.name !== p.name || q.namespace !== p.namespace || q.kind !== p.kind), p];
      }
      let fresh: unknown, cached: unknown;
      try {
        fresh = compilePolicies(world, current);
      } catch (e) {
        assert.throws(() => compilePolicies(world, current, {}, cache), { message: (e as Error).message });
        continue;
      }
      cached = compilePolicies(world, current, {}, cache);
      assert.deepEqual(cached, fresh, `seed ${seed}, step ${step}`);
    }
  });
}

test("a changed policy recompiles its namespace only; the same texts reuse every block", () => {
  const r = rng(9);
  const world = randomWorld(r);
  const policies = parsedPolicies(randomPolicies(r, 30)).filter((p) => p.kind === undefined || p.kind === "NetworkPolicy");
  const cache = new PolicyCompileCache();
  compilePolicies(world, policies, {}, cache);
  const blocks = new Map(cache.blocks);
  // The same texts as new objects: every block is reused as it was.
  compilePolicies(world, policies.map((p) => JSON.parse(JSON.stringify(p)) as NetworkPolicy), {}, cache);
  assert.deepEqual([...cache.blocks.keys()], [...blocks.keys()]);
  for (const [k, v] of cache.blocks) assert.equal(v, blocks.get(k), "the same block object");
  // One policy edited: only blocks of its namespace are new.
  const at = policies.findIndex((p) => world.workloads.some((w) => w.namespace === p.namespace));
  const edited = { ...policies[at]!, podSelector: { matchLabels: { edited: "1" }, matchExpressions: [] } };
  compilePolicies(world, policies.map((p, i) => (i === at ? edited : p)), {}, cache);
  const fresh = [...cache.blocks.keys()].filter((k) => !blocks.has(k));
  assert.ok(fresh.length >= 1);
  for (const k of fresh) assert.ok(k.startsWith(`${edited.namespace}\t`), k);
});

test("sameWorld compares content, not identity", () => {
  const w = randomWorld(rng(3));
  assert.ok(sameWorld(w, JSON.parse(JSON.stringify(w)) as PolicyWorld));
  assert.ok(!sameWorld(w, relabel(w, () => 0)));
  assert.ok(!sameWorld(w, { ...w, namespaces: w.namespaces.map((n, i) => (i === 0 ? { ...n, labels: { ...n.labels, x: "y" } } : n)) }));
});

test("a map whose blocks are the same keeps its elements array (the diff skips it); a remade namespace gives its maps new ones", () => {
  const r = rng(5);
  const world = randomWorld(r);
  const policies = parsedPolicies(randomPolicies(r, 30)).filter((p) => p.kind === undefined || p.kind === "NetworkPolicy");
  const cache = new PolicyCompileCache();
  const first = compilePolicies(world, policies, {}, cache);
  const again = compilePolicies(world, policies, {}, cache);
  // The NetworkPolicy maps (others, such as the drops sets, are the kernel's).
  const maps = new Set<string>(Object.values(MAP));
  again.sets.forEach((s, i) => maps.has(s.name) && assert.equal(s.elements, first.sets[i]!.elements, s.name));
  const at = policies.findIndex((p) => p.ingress.length > 0 && world.workloads.some((w) => w.namespace === p.namespace));
  // Every workload of its namespace, from anywhere, on a port no other policy names: new elements.
  const edited: NetworkPolicy = { ...policies[at]!, podSelector: { matchLabels: {}, matchExpressions: [] }, ingress: [{ ...policies[at]!.ingress[0]!, peers: [], ports: [{ protocol: "TCP", port: 4242 }] }] };
  const changed = compilePolicies(world, policies.map((p, i) => (i === at ? edited : p)), {}, cache);
  const moved = changed.sets.filter((s, i) => maps.has(s.name) && s.elements !== again.sets[i]!.elements);
  assert.ok(moved.length > 0);
  assert.deepEqual(changed, compilePolicies(world, policies.map((p, i) => (i === at ? edited : p))));
});
