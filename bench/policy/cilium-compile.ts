// Compile cost of Cilium policies vs NetworkPolicies (pure: no kernel, no daemon):
// node dist/bench/policy/cilium-compile.js [--rounds N]
// The bench world (50 namespaces × 20 workloads) with (A) its 1,000 NetworkPolicies, (B) the same
// 1,000 written as CiliumNetworkPolicies, (C) B plus 50 deny policies (one per namespace). Reports the
// median compile time, the nft rule count and the element count of each.
import { loadavg } from "node:os";
import { parsePolicy, type NetworkPolicy, type PolicyWorld } from "../../src/policy";
import { NAMESPACES, PER_NAMESPACE, nsName, policyFor, policyWorld } from "./world";
import { timeCompile } from "./compile-timing";

const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1] ?? 5) || 5;

type Sel = { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
type NpPeer = { podSelector?: Sel; namespaceSelector?: Sel; ipBlock?: { cidr: string; except?: string[] } };
type NpRule = { from?: NpPeer[]; to?: NpPeer[]; ports?: { protocol: string; port: number; endPort?: number }[] };

/** One NetworkPolicy rewritten as the CiliumNetworkPolicy a user would write for it. */
function asCilium(np: ReturnType<typeof policyFor>): object {
  const spec = np.spec as { podSelector: Sel; policyTypes?: string[]; ingress?: NpRule[]; egress?: NpRule[] };
  const endpoints = (p: NpPeer): Sel => {
    const labels: Record<string, string> = { ...(p.podSelector?.matchLabels ?? {}) };
    for (const [k, v] of Object.entries(p.namespaceSelector?.matchLabels ?? {})) labels[`io.cilium.k8s.namespace.labels.${k}`] = v;
    // Naming the pod-namespace key lifts the implicit "own namespace only" of a namespaced policy.
    const exprs = [...(p.podSelector?.matchExpressions ?? []), ...(p.namespaceSelector ? [{ key: "io.kubernetes.pod.namespace", operator: "Exists" }] : [])];
    return { matchLabels: labels, ...(exprs.length ? { matchExpressions: exprs } : {}) };
  };
  const rule = (r: NpRule, dir: "from" | "to") => {
    const peers = r[dir] ?? [];
    const out: Record<string, unknown> = {};
    const eps = peers.filter((p) => !p.ipBlock).map(endpoints);
    if (eps.length) out[`${dir}Endpoints`] = eps;
    const cidrs = peers.filter((p) => p.ipBlock).map((p) => p.ipBlock);
    if (cidrs.length) out[`${dir}CIDRSet`] = cidrs;
    if (r.ports) out.toPorts = [{ ports: r.ports.map((p) => ({ port: String(p.port), protocol: p.protocol, ...(p.endPort ? { endPort: p.endPort } : {}) })) }];
    return out;
  };
  const egressOnly = spec.policyTypes?.length === 1 && spec.policyTypes[0] === "Egress";
  return {
    apiVersion: "cilium.io/v2", kind: "CiliumNetworkPolicy", metadata: np.metadata,
    spec: {
      endpointSelector: spec.podSelector,
      ...(egressOnly ? {} : { ingress: (spec.ingress ?? []).map((r) => rule(r, "from")) }),
      ...(spec.egress ? { egress: spec.egress.map((r) => rule(r, "to")) } : {}),
    },
  };
}

function denyFor(n: number): object {
  return {
    apiVersion: "cilium.io/v2", kind: "CiliumNetworkPolicy", metadata: { name: "no-cache-8080", namespace: nsName(n) },
    spec: { endpointSelector: {}, ingressDeny: [{ fromEndpoints: [{ matchLabels: { tier: "cache" } }], toPorts: [{ ports: [{ port: "8080", protocol: "TCP" }] }] }] },
  };
}

function measure(name: string, w: PolicyWorld, policies: NetworkPolicy[]) {
  const { medianMs, rules, elements } = timeCompile(w, policies, rounds);
  return { name, medianMs, rules, elements };
}

const w = policyWorld();
const nps = Array.from({ length: NAMESPACES * PER_NAMESPACE }, (_, i) => policyFor(Math.floor(i / PER_NAMESPACE), i % PER_NAMESPACE));
const a = nps.map(parsePolicy);
const b = nps.map((p) => parsePolicy(asCilium(p)));
const c = [...b, ...Array.from({ length: NAMESPACES }, (_, n) => parsePolicy(denyFor(n)))];
const rows = [measure("1,000 NetworkPolicies", w, a), measure("the same as 1,000 CiliumNetworkPolicies", w, b), measure("+ 50 CNPs with ingressDeny", w, c)];
console.log(JSON.stringify({ rounds, load: loadavg()[0], rows }, null, 2));
