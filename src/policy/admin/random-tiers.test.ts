import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePolicies } from "../plan/compile";
import { denyDecisionId, ruleDecisionId } from "../plan/decisions";
import { createExplainer, type DirectionExplanation } from "../evaluate";
import { PlanSim, elementsOverlap, parseElement } from "../testing/nft-sim";
import { parsedPolicies, randomPolicies, randomWorld, rng } from "../testing/random";
import type { Protocol, RuleRef } from "../types";

// The tiers on random worlds: random AdminNetworkPolicies (Allow, Deny and Pass, by namespaces,
// pods and networks, ports by number, range and name), a random baseline and random
// NetworkPolicies, compiled and walked through the kernel model against explain(), cell by cell,
// with the deciding rule's id. Pass rules are the point: their boxes go to the pass set, the
// other rules' boxes are made without them (admin/compile.ts).

function randomTiers(r: () => number): unknown[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const nsSel = () => pick([{}, { matchLabels: { env: pick(["a", "b"]) } }, { matchLabels: { team: pick(["p", "q"]) } }, { matchExpressions: [{ key: "env", operator: "NotIn", values: [pick(["a", "b"])] }] }]);
  const podSel = () => pick([{}, { matchLabels: { app: pick(["w", "d", "c"]) } }, { matchLabels: { tier: pick(["1", "2"]) } }]);
  const subject = () => (r() < 0.5 ? { namespaces: nsSel() } : { pods: { namespaceSelector: nsSel(), podSelector: podSel() } });
  const peer = (egress: boolean) => {
    const x = r();
    if (x < 0.35) return { namespaces: nsSel() };
    if (x < 0.8 || !egress) return { pods: { namespaceSelector: nsSel(), podSelector: podSel() } };
    return { networks: [pick(["10.20.0.0/27", "10.20.0.32/28", "fd00:20::/124", "0.0.0.0/0"])] };
  };
  const port = () => pick([
    { portNumber: { port: 80, protocol: "TCP" } }, { portNumber: { port: 53, protocol: "UDP" } }, { portRange: { start: 80, end: 8080, protocol: "TCP" } },
    { namedPort: "web" }, { namedPort: "dns" }, { portNumber: { port: 9, protocol: "SCTP" } },
  ]);
  const rules = (tier: "admin" | "baseline", egress: boolean) => Array.from({ length: Math.floor(r() * 4) }, () => ({
    action: pick(tier === "admin" ? ["Allow", "Deny", "Pass", "Pass"] : ["Allow", "Deny"]),
    [egress ? "to" : "from"]: Array.from({ length: 1 + Math.floor(r() * 2) }, () => peer(egress)),
    ...(r() < 0.5 ? { ports: Array.from({ length: 1 + Math.floor(r() * 2) }, port) } : {}),
  }));
  const api = "policy.networking.k8s.io/v1alpha1";
  const admins = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, i) => ({
    apiVersion: api, kind: "AdminNetworkPolicy", metadata: { name: `a${i}` },
    spec: { priority: Math.floor(r() * 5), subject: subject(), ingress: rules("admin", false), egress: rules("admin", true) },
  }));
  const baseline = r() < 0.6 ? [{ apiVersion: api, kind: "BaselineAdminNetworkPolicy", metadata: { name: "default" }, spec: { subject: subject(), ingress: rules("baseline", false), egress: rules("baseline", true) } }] : [];
  return [...admins, ...baseline];
}


function decider(d: DirectionExplanation): RuleRef | undefined {
  if (d.tier === "admin" || d.tier === "baseline") return d.decidedBy;
  if (d.tier === "networkPolicy") return d.deniedBy?.[0] ?? d.allowedBy[0];
  return undefined;
}

test("differential: the admin tiers (with Pass) compiled and explained agree on random worlds", (t) => {
  const protocols: Protocol[] = ["TCP", "UDP", "SCTP"];
  let checked = 0;
  let passElements = 0;
  for (let seed = 1; seed <= 50; seed++) {
    const r = rng(seed * 7919);
    const w = randomWorld(r);
    const policies = parsedPolicies([...randomTiers(r), ...(r() < 0.6 ? randomPolicies(r, 1 + Math.floor(r() * 3)) : [])]);
    const plan = compilePolicies(w, policies);
    for (const set of plan.sets.filter((x) => /_b?anp_/.test(x.name))) {
      if (set.name.includes("_pass_")) passElements += set.elements.length;
      const els = set.elements.map(parseElement);
      for (let i = 0; i < els.length; i++) for (let j = i + 1; j < els.length; j++) assert.ok(!elementsOverlap(els[i]!, els[j]!), `seed ${seed}: ${set.name}: ${set.elements[i]} overlaps ${set.elements[j]}`);
    }
    const sim = new PlanSim(plan);
    const ex = createExplainer(w, policies);
    const ends = w.workloads.flatMap((x) => x.ips);
    for (const from of ends) for (const to of ends) {
      if (from === to || from.includes(":") !== to.includes(":")) continue;
      for (const port of [9, 53, 80, 81, 8080]) for (const protocol of protocols) {
        const e = ex({ from, to, port, protocol });
        const k = sim.run(from, to, protocol, port);
        const cell = `seed ${seed}: ${from} -> ${to} ${port}/${protocol}`;
        assert.equal(k.allowed, e.allowed, cell);
        if (k.drop) {
          const d = k.drop.direction === "egress" ? e.egress : e.ingress;
          const rule = decider(d);
          assert.equal(k.drop.mark, rule ? ruleDecisionId(plan, rule) : denyDecisionId(plan, k.drop.direction, d.isolatedBy), cell);
        } else {
          const rule = decider(e.ingress) ?? decider(e.egress);
          assert.equal(k.ctMark, rule ? ruleDecisionId(plan, rule) : 0, cell);
        }
        checked++;
      }
    }
  }
  t.diagnostic(`${checked} cells, ${passElements} pass set elements`);
  assert.ok(checked > 50000, `checked ${checked}`);
  // The seeds exercise the pass set.
  assert.ok(passElements > 100, `pass elements ${passElements}`);
});
