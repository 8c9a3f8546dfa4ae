// The bench's cluster: 50 namespaces × 20 workloads, and one NetworkPolicy per workload (1,000) in
// the shapes real clusters use: a tier of the same namespace, one tier of another team, the web tier
// of every prod namespace, an ipBlock with an except plus egress, a port range from two tiers.
// Two of them are the measured pair's: the server admits the client, the client may reach the server.
import type { PolicyWorld } from "../../src/policy";

export const NAMESPACES = 50;
export const PER_NAMESPACE = 20;
export const NETWORK = { name: "pb", subnet: "10.200.0.0/22" };

const two = (i: number) => String(i).padStart(2, "0");
export const nsName = (n: number) => `t${two(n)}`;
export const workloadName = (n: number, k: number) => `${nsName(n)}-w${two(k)}`;

/** iperf3 and HTTP server; the measured client (egress-isolated, admitted); a workload whose label is flipped. */
export const SERVER = workloadName(0, 0);
export const CLIENT = workloadName(1, 1);
export const PROBER = workloadName(1, 2);
/** The label that admits PROBER to SERVER:80. */
export const ACCESS_LABEL = "access=server";

const TIERS = ["web", "api", "db", "cache"];

export function namespaceSpec(n: number) {
  return { name: nsName(n), labels: { team: nsName(n), env: n % 5 === 0 ? "prod" : "staging" } };
}

export function workloadSpec(n: number, k: number) {
  return { name: workloadName(n, k), networks: [NETWORK.name], namespace: nsName(n), labels: { app: `svc${k}`, tier: TIERS[k % TIERS.length]! } };
}

type Port = { protocol: "TCP" | "UDP"; port: number; endPort?: number };
const tcp = (port: number, endPort?: number): Port => ({ protocol: "TCP", port, ...(endPort ? { endPort } : {}) });
const udp = (port: number): Port => ({ protocol: "UDP", port });
const team = (n: number) => ({ matchLabels: { team: nsName(n % NAMESPACES) } });
const pods = (labels: Record<string, string>) => ({ matchLabels: labels });

export const MEASURED_PORTS = [tcp(80), tcp(5201), udp(5201)];

function networkPolicy(n: number, name: string, spec: object) {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace: nsName(n) }, spec };
}

/** The policy that selects workload k of namespace n (app=svcK). */
export function policyFor(n: number, k: number) {
  const podSelector = pods({ app: `svc${k}` });
  if (workloadName(n, k) === SERVER) {
    const from = [{ namespaceSelector: team(1), podSelector: pods({ app: "svc1" }) }, { namespaceSelector: team(1), podSelector: pods({ access: "server" }) }];
    return networkPolicy(n, "server-from-t01", { podSelector, ingress: [{ from, ports: MEASURED_PORTS }] });
  }
  if (workloadName(n, k) === CLIENT) {
    return networkPolicy(n, "client-to-t00", { podSelector, policyTypes: ["Egress"], egress: [{ to: [{ namespaceSelector: team(0), podSelector: pods({ app: "svc0" }) }], ports: MEASURED_PORTS }] });
  }
  switch (k % 5) {
    case 0:
      return networkPolicy(n, `svc${k}-from-web`, { podSelector, ingress: [{ from: [{ podSelector: pods({ tier: "web" }) }], ports: [tcp(8080)] }] });
    case 1:
      return networkPolicy(n, `svc${k}-from-next-team-api`, { podSelector, ingress: [{ from: [{ namespaceSelector: team(n + 1), podSelector: pods({ tier: "api" }) }], ports: [tcp(5432)] }] });
    case 2:
      return networkPolicy(n, `svc${k}-from-prod-web`, { podSelector, ingress: [{ from: [{ namespaceSelector: pods({ env: "prod" }), podSelector: pods({ tier: "web" }) }], ports: [tcp(443)] }] });
    case 3:
      return networkPolicy(n, `svc${k}-dns-and-db`, {
        podSelector,
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ ipBlock: { cidr: "172.16.0.0/12", except: ["172.16.5.0/24"] } }], ports: [udp(53), tcp(53)] }],
        egress: [{ to: [{ podSelector: pods({ tier: "db" }) }], ports: [tcp(5432)] }, { to: [{ namespaceSelector: team(n + 2) }], ports: [udp(53)] }],
      });
    default:
      return networkPolicy(n, `svc${k}-metrics`, {
        podSelector,
        ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: "tier", operator: "In", values: ["web", "api"] }] } }], ports: [tcp(9000, 9100)] }],
      });
  }
}

/** All 1,000 policies as `ponton up` projects of `perBatch` policies (one nft transaction each). */
export function policyBatches(perBatch: number): { project: string; yaml: string }[] {
  const all = Array.from({ length: NAMESPACES * PER_NAMESPACE }, (_, i) => policyFor(Math.floor(i / PER_NAMESPACE), i % PER_NAMESPACE));
  const out: { project: string; yaml: string }[] = [];
  for (let i = 0; i < all.length; i += perBatch) {
    const project = `polbench-${out.length}`;
    out.push({ project, yaml: JSON.stringify({ name: project, policies: all.slice(i, i + perBatch) }) });
  }
  return out;
}

/** The same cluster as the policy compiler sees it (no kernel, no daemon): workloads at 10.200.x.y. */
export function policyWorld(): PolicyWorld {
  const workloads = [];
  for (let n = 0; n < NAMESPACES; n++) for (let k = 0; k < PER_NAMESPACE; k++) {
    const w = workloadSpec(n, k);
    const host = n * PER_NAMESPACE + k + 2;
    workloads.push({ name: w.name, namespace: w.namespace, labels: w.labels, ips: [`10.200.${host >> 8}.${host & 255}`], ports: [] });
  }
  return { namespaces: Array.from({ length: NAMESPACES }, (_, n) => namespaceSpec(n)), workloads };
}
