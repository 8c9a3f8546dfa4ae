// Compile cost of the admin tiers (pure: no kernel, no daemon):
// node dist/bench/policy/admin-compile.js [--rounds N] [--netns NAME]
// With --netns (an existing, throwaway network namespace; as root), each plan is also loaded into a
// scratch table there with one `nft -f` (median of the rounds): the kernel's side of the element count.
// The bench world (50 namespaces × 20 workloads, bench/policy/world.ts) with (A) its 1,000
// NetworkPolicies, (B) A plus a cluster administrator's tiers: 50 AdminNetworkPolicies (one per team:
// Deny ingress from the other teams' staging namespaces except a Pass for the monitoring tier, Allow
// egress to prod DNS) and a BaselineAdminNetworkPolicy (Deny ingress from every namespace, so
// workloads no NetworkPolicy selects are closed), (C) the tiers alone, (D) B without the Pass (whose
// 250 scattered cache pods split every Deny range until a Pass got its own set: 250 elements now).
// Median compile time, nft rule
// count and element count (all maps; tier maps separately) of each.
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import { parsePolicy, renderPolicyNft, type NetworkPolicy, type PolicyPlan, type PolicyWorld } from "../../src/policy";
import { NAMESPACES, PER_NAMESPACE, nsName, policyFor, policyWorld } from "./world";
import { timeCompile } from "./compile-timing";

const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1] ?? 5) || 5;
const netns = process.argv.includes("--netns") ? process.argv[process.argv.indexOf("--netns") + 1] : undefined;

/** Median ms of `nft -f` loading the plan into a fresh table of the namespace (removed after each round). */
function kernelLoad(plan: PolicyPlan): number | undefined {
  if (!netns) return undefined;
  const text = renderPolicyNft(plan, "inet ha_bench");
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = process.hrtime.bigint();
    execFileSync("ip", ["netns", "exec", netns, "nft", "-f", "-"], { input: text });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    execFileSync("ip", ["netns", "exec", netns, "nft", "delete", "table", "inet", "ha_bench"]);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)]!);
}

const API = "policy.networking.k8s.io/v1alpha1";

function adminFor(n: number, monitoring = true): object {
  return {
    apiVersion: API, kind: "AdminNetworkPolicy", metadata: { name: `team-${nsName(n)}` },
    spec: {
      priority: 10 + n,
      subject: { namespaces: { matchLabels: { team: nsName(n) } } },
      ingress: [
        ...(monitoring ? [{ name: "monitoring", action: "Pass", from: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { tier: "cache" } } } }], ports: [{ portNumber: { port: 9100 } }] }] : []),
        { name: "no-staging", action: "Deny", from: [{ namespaces: { matchExpressions: [{ key: "env", operator: "In", values: ["staging"] }, { key: "team", operator: "NotIn", values: [nsName(n)] }] } }] },
      ],
      egress: [{ name: "dns", action: "Allow", to: [{ namespaces: { matchLabels: { env: "prod" } } }], ports: [{ portNumber: { protocol: "UDP", port: 53 } }, { portRange: { protocol: "TCP", start: 53, end: 54 } }] }],
    },
  };
}

const BASELINE = { apiVersion: API, kind: "BaselineAdminNetworkPolicy", metadata: { name: "default" }, spec: { subject: { namespaces: {} }, ingress: [{ action: "Deny", from: [{ namespaces: {} }] }] } };

function measure(name: string, w: PolicyWorld, policies: NetworkPolicy[]) {
  const { medianMs, rules, elements, plan } = timeCompile(w, policies, rounds);
  const tierElements = plan.sets.filter((s) => /_b?anp_/.test(s.name)).reduce((s, x) => s + x.elements.length, 0);
  return { name, medianMs, rules, elements, tierElements, nftLoadMs: kernelLoad(plan) };
}

const w = policyWorld();
const nps = Array.from({ length: NAMESPACES * PER_NAMESPACE }, (_, i) => parsePolicy(policyFor(Math.floor(i / PER_NAMESPACE), i % PER_NAMESPACE)));
const tiers = [...Array.from({ length: NAMESPACES }, (_, n) => parsePolicy(adminFor(n))), parsePolicy(BASELINE)];
const noPass = [...Array.from({ length: NAMESPACES }, (_, n) => parsePolicy(adminFor(n, false))), parsePolicy(BASELINE)];
const rows = [
  measure("1,000 NetworkPolicies", w, nps),
  measure("+ 50 AdminNetworkPolicies and the baseline", w, [...nps, ...tiers]),
  measure("the 51 tier policies alone", w, tiers),
  measure("+ the same without the monitoring Pass", w, [...nps, ...noPass]),
];
console.log(JSON.stringify({ rounds, load: loadavg()[0], rows }, null, 2));
