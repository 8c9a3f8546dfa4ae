import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePolicies } from "./compile";
import { parseIp } from "../../model/ip";
import { denyDecisionId, describeDecision, ruleDecisionId } from "./decisions";
import { createExplainer } from "../evaluate";
import { parsePolicies, parsePolicy } from "../parse";
import type { PolicyPlan } from "./plan";
import { renderPolicyNft } from "./render";
import { PlanSim, elementsOverlap, parseElement } from "../testing/nft-sim";
import { randomPolicies, randomWorld, rng } from "../testing/random";
import { shardChains, shardDispatch } from "../testing/sharded-allow";
import { TRUTH_CASES } from "../testing/truth-cases";
import { truthWorld } from "../testing/world";
import type { NetworkPolicy, PolicyWorld, Protocol } from "../types";

const world = truthWorld();
const all = TRUTH_CASES.flatMap((c, i) => parsePolicies(c.yaml).map((p) => ({ ...p, name: `${p.name}-${i}` })));

const SKELETON = {
  pol_eg_drop: [
    'limit rate 1000/second burst 1000 packets log prefix "pol-eg-drop " group 2',
    "update @pol_drops_v4 { ip saddr . ip daddr . meta l4proto . th dport . meta mark }",
    "update @pol_drops_v6 { ip6 saddr . ip6 daddr . meta l4proto . th dport . meta mark }",
    "counter drop",
  ],
  pol_in_drop: [
    'limit rate 1000/second burst 1000 packets log prefix "pol-in-drop " group 2',
    "update @pol_drops_v4 { ip saddr . ip daddr . meta l4proto . th dport . meta mark }",
    "update @pol_drops_v6 { ip6 saddr . ip6 daddr . meta l4proto . th dport . meta mark }",
    "counter drop",
  ],
  pol_eg_rest: [
    "meta mark set ip saddr map @pol_eg_deny_v4 goto pol_eg_drop",
    "meta mark set ip6 saddr map @pol_eg_deny_v6 goto pol_eg_drop",
  ],
  ...shardChains("egress"),
  pol_egress: [...shardDispatch("egress", "saddr"), "goto pol_eg_rest"],
  pol_in_rest: [
    "meta mark set ip daddr map @pol_in_deny_v4 goto pol_in_drop",
    "meta mark set ip6 daddr map @pol_in_deny_v6 goto pol_in_drop",
  ],
  ...shardChains("ingress"),
  pol_ingress: [...shardDispatch("ingress", "daddr"), "goto pol_in_rest"],
  pol_forward: ["jump pol_egress", "jump pol_ingress"],
};

const chainsOf = (plan: PolicyPlan) => Object.fromEntries(plan.chains.map((c) => [c.name, c.rules]));

test("the chains are a fixed skeleton (the kernel model in testing/nft-sim.ts assumes exactly this)", () => {
  assert.deepEqual(chainsOf(compilePolicies(world, [])), SKELETON);
  assert.deepEqual(chainsOf(compilePolicies(world, all)), SKELETON);
  // A chain comes after the chains it jumps to.
  assert.deepEqual(compilePolicies(world, []).chains.map((c) => c.name), Object.keys(SKELETON));
  const custom = compilePolicies(world, [], { logGroup: 7, logRate: 50 });
  assert.equal(chainsOf(custom).pol_in_drop![0], 'limit rate 50/second burst 50 packets log prefix "pol-in-drop " group 7');
});

test("rule count does not grow with workloads, namespaces or policies", () => {
  const big: PolicyWorld = {
    namespaces: Array.from({ length: 40 }, (_, i) => ({ name: `ns${i}`, labels: { ns: `ns${i}` } })),
    workloads: Array.from({ length: 400 }, (_, i) => ({
      name: `w${i}`, namespace: `ns${i % 40}`, labels: { pod: `p${i % 7}` },
      ips: [`10.${(i >> 8) + 100}.${i & 255}.1`, `fd00:1::${i.toString(16)}`], ports: [{ name: "web", port: 80, protocol: "TCP" as Protocol }],
    })),
  };
  const many: NetworkPolicy[] = Array.from({ length: 40 }, (_, i) => parsePolicy({
    apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: `p${i}`, namespace: `ns${i}` },
    spec: { podSelector: { matchLabels: { pod: `p${i % 7}` } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: `ns${(i + 1) % 40}` } } }], ports: [{ port: "web" }] }] },
  }));
  const small = compilePolicies(world, all.slice(0, 1));
  const large = compilePolicies(big, many);
  const count = (p: PolicyPlan) => p.chains.reduce((n, c) => n + c.rules.length, 0);
  assert.equal(count(large), count(small));
  assert.deepEqual(large.sets.map((s) => [s.name, s.type]), small.sets.map((s) => [s.name, s.type]));
  assert.ok(large.sets.reduce((n, s) => n + s.elements.length, 0) > 100, "the growth went into elements");
});

test("byte-identical output whatever the input order", () => {
  const shuffled: PolicyWorld = {
    namespaces: [...world.namespaces].reverse(),
    workloads: [...world.workloads].reverse().map((w) => ({ ...w, ips: [...w.ips].reverse(), ports: [...w.ports].reverse() })),
  };
  const a = renderPolicyNft(compilePolicies(world, all));
  const b = renderPolicyNft(compilePolicies(shuffled, [...all].reverse()));
  assert.equal(a, b);
  assert.deepEqual(compilePolicies(world, all), compilePolicies(shuffled, [...all].reverse()));
});

test("elements of every interval map are pairwise disjoint (the kernel rejects overlaps)", () => {
  for (const c of TRUTH_CASES) {
    const plan = compilePolicies(world, parsePolicies(c.yaml));
    for (const s of plan.sets) {
      const els = s.elements.map(parseElement);
      for (let i = 0; i < els.length; i++) for (let j = i + 1; j < els.length; j++) {
        assert.ok(!elementsOverlap(els[i]!, els[j]!), `${c.name}: ${s.name}: ${s.elements[i]} overlaps ${s.elements[j]}`);
      }
    }
  }
});

test("ids: one per rule and per isolating policy group, described back, stable across unrelated changes", () => {
  const plan = compilePolicies(world, all);
  assert.equal(new Set(plan.ids.map((e) => e.id)).size, plan.ids.length);
  for (const e of plan.ids) {
    assert.ok(e.id > 0 && e.id <= 0x7fffffff);
    assert.deepEqual(describeDecision(plan, e.id), e);
  }
  assert.equal(describeDecision(plan, 0), undefined);
  const base = compilePolicies(world, all.slice(0, 5));
  const more = compilePolicies(world, all.slice(0, 10));
  for (const e of base.ids) {
    if (e.kind === "allow") assert.equal(ruleDecisionId(more, e.rule), e.id);
  }
  const two = parsePolicies(TRUTH_CASES[3]!.yaml);
  const p = compilePolicies(world, two);
  assert.ok(denyDecisionId(p, "ingress", ["x/deny-all", "x/allow-all"]));
});

test("differential: explain() and the compiled plan agree on random worlds and policies", () => {
  const protocols: Protocol[] = ["TCP", "UDP", "SCTP"];
  const outside = ["10.20.0.100", "10.20.0.200", "192.0.2.1", "fd00:20::99", "fd00:20::1f", "2001:db8::1"];
  let checked = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const r = rng(seed);
    const w = randomWorld(r);
    const policies = randomPolicies(r, 1 + Math.floor(r() * 4)).map(parsePolicy);
    const plan = compilePolicies(w, policies);
    const sim = new PlanSim(plan);
    const ex = createExplainer(w, policies);
    const ends = [...w.workloads.flatMap((x) => x.ips), ...outside];
    for (const from of ends) for (const to of ends) {
      if (from === to || from.includes(":") !== to.includes(":")) continue;
      if (outside.includes(from) && outside.includes(to)) continue;
      for (const port of [9, 53, 80, 81, 443, 8080]) for (const protocol of protocols) {
        const e = ex({ from, to, port, protocol });
        const k = sim.run(from, to, protocol, port);
        const cell = `seed ${seed}: ${from} -> ${to} ${port}/${protocol}`;
        assert.equal(k.allowed, e.allowed, cell);
        if (k.drop) {
          const d = k.drop.direction === "egress" ? e.egress : e.ingress;
          assert.equal(k.drop.mark, denyDecisionId(plan, k.drop.direction, d.isolatedBy), cell);
        } else {
          const decider = e.ingress.isolated ? e.ingress.allowedBy[0] : e.egress.allowedBy[0];
          assert.equal(k.ctMark, decider ? ruleDecisionId(plan, decider) : 0, cell);
        }
        checked++;
      }
    }
  }
  assert.ok(checked > 50000, `checked ${checked}`);
});

// The allow maps' shards (names.ts ALLOW_SHARDS): the kernel's dispatch sends a connection to the
// shard of its subject's low 6 bits, so every element must sit in exactly that shard — else the
// kernel would miss it while PlanSim (which looks up the same shard) could not tell.
test("every allow element is in the shard of its subject's low 6 bits, on random worlds", () => {
  let checked = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const r = rng(seed);
    const plan = compilePolicies(randomWorld(r), randomPolicies(r, 1 + Math.floor(r() * 4)).map(parsePolicy));
    for (const s of plan.sets) {
      const m = /^pol_(in|eg)_allow_v[46]_s(\d+)$/.exec(s.name);
      if (!m) {
        assert.ok(!/^pol_(in|eg)_allow_v[46]$/.test(s.name), `no unsharded allow map: ${s.name}`);
        continue;
      }
      for (const e of s.elements) {
        const subject = parseIp(e.split(" . ")[0]!)!;
        assert.equal(Number(subject.value & 63n), Number(m[2]), `${e} in ${s.name}`);
        checked++;
      }
    }
  }
  assert.ok(checked > 100, `${checked} elements checked`);
});
