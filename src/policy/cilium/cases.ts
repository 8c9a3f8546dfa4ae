import type { TruthCase } from "../testing/truth-cases";

// Cilium truth-table cases over the same world (see truth-cases.ts for the matrix format).
// Matrices are written by hand from Cilium's documented semantics, NOT computed: namespaced
// endpoint selectors stay in the policy's namespace, CIDR selectors never match workloads,
// deny wins over allow, and a policy with a section for a direction isolates in that direction.

const ALL_ROWS = (row: string): string[] => Array.from({ length: 9 }, () => row);

const cnp = (ns: string, name: string, spec: string): string =>
  `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n${spec.replace(/^\n/, "").replace(/^/gm, "  ")}`;
const ccnp = (name: string, spec: string): string =>
  `apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata:\n  name: ${name}\nspec:\n${spec.replace(/^\n/, "").replace(/^/gm, "  ")}`;
const np = (ns: string, name: string, spec: string): string =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n${spec.replace(/^\n/, "").replace(/^/gm, "  ")}`;
const docs = (...d: string[]): string => d.join("\n---\n");

export const CILIUM_CASES: TruthCase[] = [
  {
    name: "CNP fromEndpoints stays in the policy's namespace",
    yaml: cnp("x", "a-from-b", `
endpointSelector: {matchLabels: {pod: a}}
ingress:
- fromEndpoints: [{matchLabels: {pod: b}}]`),
    v4: [".########", "#########", ".########", ".########", ".########", ".########", ".########", ".########", ".########"],
  },
  {
    name: "CNP k8s:-prefixed keys and io.kubernetes.pod.namespace, TCP 80 only",
    yaml: cnp("x", "a-from-y", `
endpointSelector: {matchLabels: {"k8s:pod": a}}
ingress:
- fromEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": y}}]
  toPorts: [{ports: [{port: "80", protocol: TCP}]}]`),
    legend: { t: ["80/TCP"] },
    v4: [".########", ".########", ".########", "t########", "t########", "t########", ".########", ".########", ".########"],
  },
  {
    name: "CCNP selects and admits across namespaces",
    yaml: ccnp("c-from-a", `
endpointSelector: {matchLabels: {pod: c}}
ingress:
- fromEndpoints: [{matchLabels: {pod: a}}]`),
    v4: ["#########", "##.##.##.", "##.##.##.", "#########", "##.##.##.", "##.##.##.", "#########", "##.##.##.", "##.##.##."],
  },
  {
    name: "deny wins over allow (two CNPs)",
    yaml: docs(cnp("x", "allow-all", `
endpointSelector: {}
ingress:
- fromEntities: [all]`), cnp("x", "deny-b-80", `
endpointSelector: {}
ingressDeny:
- fromEndpoints: [{matchLabels: {pod: b}}]
  toPorts: [{ports: [{port: "80", protocol: ANY}]}]`)),
    legend: { e: ["81/TCP", "81/UDP", "81/SCTP"] },
    v4: ["#########", "eee######", "#########", "#########", "#########", "#########", "#########", "#########", "#########"],
  },
  {
    name: "a CNP deny wins over a NetworkPolicy allow",
    yaml: docs(np("x", "allow-all", `
podSelector: {}
ingress:
- {}`), cnp("x", "no-udp-81-to-a", `
endpointSelector: {matchLabels: {pod: a}}
ingressDeny:
- fromEntities: [cluster]
  toPorts: [{ports: [{port: "81", protocol: UDP}]}]`)),
    legend: { u: ["80/TCP", "80/UDP", "80/SCTP", "81/TCP", "81/SCTP"] },
    v4: ALL_ROWS("u########"),
  },
  {
    name: "a deny-only CNP isolates: default deny",
    yaml: cnp("x", "deny-only", `
endpointSelector: {matchLabels: {pod: a}}
ingressDeny:
- fromEndpoints: [{matchLabels: {pod: b}}]`),
    v4: ALL_ROWS(".########"),
  },
  {
    name: "toPorts alone admits every peer; endPort; UDP",
    yaml: cnp("y", "udp-range", `
endpointSelector: {}
ingress:
- toPorts: [{ports: [{port: "80", endPort: 81, protocol: UDP}]}]`),
    legend: { d: ["80/UDP", "81/UDP"] },
    v4: ALL_ROWS("###ddd###"),
  },
  {
    name: "CNP egress toEndpoints by namespace label, port 81 ANY",
    yaml: cnp("z", "za-to-x", `
endpointSelector: {matchLabels: {pod: a}}
egress:
- toEndpoints: [{matchLabels: {io.kubernetes.pod.namespace: x}}]
  toPorts: [{ports: [{port: "81"}]}]`),
    legend: { o: ["81/TCP", "81/UDP", "81/SCTP"] },
    v4: ["#########", "#########", "#########", "#########", "#########", "#########", "ooo......", "#########", "#########"],
  },
  {
    name: "an empty ingress rule only isolates",
    yaml: cnp("x", "iso", `
endpointSelector: {}
ingress:
- {}`),
    v4: ALL_ROWS("...######"),
  },
  {
    name: "entity world admits no workload; cluster admits all",
    yaml: docs(cnp("x", "world", `
endpointSelector: {}
ingress:
- fromEntities: [world, host, remote-node]`), cnp("y", "cluster", `
endpointSelector: {}
ingress:
- fromEntities: [cluster]`)),
    v4: ALL_ROWS("...######"),
  },
  {
    name: "fromCIDR never matches workload addresses",
    yaml: cnp("x", "cidr", `
endpointSelector: {}
ingress:
- fromCIDR: [10.9.0.0/24, "fd00:9::/64"]
- fromCIDRSet: [{cidr: 10.0.0.0/8, except: [10.9.0.128/25]}]`),
    v4: ALL_ROWS("...######"),
  },
  {
    name: "egressDeny by namespace, allow to all",
    yaml: cnp("y", "no-z", `
endpointSelector: {}
egress:
- toEntities: [all]
egressDeny:
- toEndpoints: [{matchExpressions: [{key: "k8s:io.kubernetes.pod.namespace", operator: In, values: [z]}]}]
  toPorts: [{ports: [{port: "80", protocol: TCP}]}]`),
    legend: { n: ["80/UDP", "80/SCTP", "81/TCP", "81/UDP", "81/SCTP"] },
    v4: ["#########", "#########", "#########", "######nnn", "######nnn", "######nnn", "#########", "#########", "#########"],
  },
];
