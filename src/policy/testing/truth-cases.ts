// Truth-table cases modelled on the Kubernetes documentation and the upstream e2e
// network-policy suite. Each expected matrix is written down by hand, NOT computed:
// rows are sources, columns destinations, both in the order xa xb xc ya yb yc za zb zc.
// A cell is one character: '#' = all six (80, 81) x (TCP, UDP, SCTP) allowed, '.' = none,
// any other character = the port/protocol list its case's legend gives.
// `v6` is the matrix for IPv6 traffic when it differs from `v4` (ipBlock cases).

export interface TruthCase {
  name: string;
  yaml: string;
  legend?: Record<string, string[]>;
  v4: string[];
  v6?: string[];
}

const ALLOW_ALL = ["#########", "#########", "#########", "#########", "#########", "#########", "#########", "#########", "#########"];

const np = (ns: string, name: string, spec: string): string =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n${spec.replace(/^\n/, "").replace(/^/gm, "  ")}`;

const docs = (...d: string[]): string => d.join("\n---\n");

export const TRUTH_CASES: TruthCase[] = [
  { name: "no policies", yaml: "", v4: ALLOW_ALL },
  {
    name: "deny-all ingress in x",
    yaml: np("x", "deny-all", `
podSelector: {}
policyTypes: [Ingress]`),
    v4: ["...######", "...######", "...######", "...######", "...######", "...######", "...######", "...######", "...######"],
  },
  {
    name: "allow-all ingress in x (ingress: [{}])",
    yaml: np("x", "allow-all", `
podSelector: {}
ingress:
- {}`),
    v4: ALLOW_ALL,
  },
  {
    name: "deny-all and allow-all in x are a union",
    yaml: docs(np("x", "deny-all", `
podSelector: {}
policyTypes: [Ingress]`), np("x", "allow-all", `
podSelector: {}
ingress:
- {}`)),
    v4: ALLOW_ALL,
  },
  {
    name: "deny-all egress in x",
    yaml: np("x", "deny-egress", `
podSelector: {}
policyTypes: [Egress]`),
    v4: [".........", ".........", ".........", "#########", "#########", "#########", "#########", "#########", "#########"],
  },
  {
    name: "allow-all egress in x",
    yaml: np("x", "allow-egress", `
podSelector: {}
policyTypes: [Egress]
egress:
- {}`),
    v4: ALLOW_ALL,
  },
  {
    name: "default deny ingress and egress in x",
    yaml: np("x", "deny-both", `
podSelector: {}
policyTypes: [Ingress, Egress]`),
    v4: [".........", ".........", ".........", "...######", "...######", "...######", "...######", "...######", "...######"],
  },
  {
    name: "x/a from pod=b of its namespace",
    yaml: np("x", "a-from-b", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - podSelector: {matchLabels: {pod: b}}`),
    v4: [".########", "#########", ".########", ".########", ".########", ".########", ".########", ".########", ".########"],
  },
  {
    name: "x/a from namespace y",
    yaml: np("x", "a-from-y", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - namespaceSelector: {matchLabels: {ns: y}}`),
    v4: [".########", ".########", ".########", "#########", "#########", "#########", ".########", ".########", ".########"],
  },
  {
    name: "x/a from pod=b AND namespace y (one peer)",
    yaml: np("x", "a-from-y-b", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - namespaceSelector: {matchLabels: {ns: y}}
    podSelector: {matchLabels: {pod: b}}`),
    v4: [".########", ".########", ".########", ".########", "#########", ".########", ".########", ".########", ".########"],
  },
  {
    name: "x/a from pod=b OR namespace y (two peers)",
    yaml: np("x", "a-from-y-or-b", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - namespaceSelector: {matchLabels: {ns: y}}
  - podSelector: {matchLabels: {pod: b}}`),
    v4: [".########", "#########", ".########", "#########", "#########", "#########", ".########", ".########", ".########"],
  },
  {
    name: "x/a from pod=c in every namespace (namespaceSelector: {})",
    yaml: np("x", "a-from-any-c", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - namespaceSelector: {}
    podSelector: {matchLabels: {pod: c}}`),
    v4: [".########", ".########", "#########", ".########", ".########", "#########", ".########", ".########", "#########"],
  },
  {
    name: "x/a from namespaces NotIn [y]",
    yaml: np("x", "a-not-y", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - namespaceSelector:
      matchExpressions: [{key: ns, operator: NotIn, values: [y]}]`),
    v4: ["#########", "#########", "#########", ".########", ".########", ".########", "#########", "#########", "#########"],
  },
  {
    name: "pods In [a, b] from pods NotIn [a] in namespaces where ns Exists",
    yaml: np("x", "ab-from-not-a", `
podSelector:
  matchExpressions: [{key: pod, operator: In, values: [a, b]}]
ingress:
- from:
  - namespaceSelector:
      matchExpressions: [{key: ns, operator: Exists}]
    podSelector:
      matchExpressions: [{key: pod, operator: NotIn, values: [a]}]`),
    v4: ["..#######", "#########", "#########", "..#######", "#########", "#########", "..#######", "#########", "#########"],
  },
  {
    name: "x/a from namespaces where ns DoesNotExist (none)",
    yaml: np("x", "a-from-nowhere", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - namespaceSelector:
      matchExpressions: [{key: ns, operator: DoesNotExist}]`),
    v4: [".########", ".########", ".########", ".########", ".########", ".########", ".########", ".########", ".########"],
  },
  {
    name: "x/a on port 80 (protocol defaults to TCP)",
    yaml: np("x", "a-80", `
podSelector: {matchLabels: {pod: a}}
ingress:
- ports:
  - port: 80`),
    legend: { T: ["80/TCP"] },
    v4: ["T########", "T########", "T########", "T########", "T########", "T########", "T########", "T########", "T########"],
  },
  {
    name: "x/a on named port serve-81-udp/UDP",
    yaml: np("x", "a-named", `
podSelector: {matchLabels: {pod: a}}
ingress:
- ports:
  - port: serve-81-udp
    protocol: UDP`),
    legend: { U: ["81/UDP"] },
    v4: ["U########", "U########", "U########", "U########", "U########", "U########", "U########", "U########", "U########"],
  },
  {
    name: "named port with the wrong protocol resolves to nothing",
    yaml: np("x", "a-named-tcp", `
podSelector: {matchLabels: {pod: a}}
ingress:
- ports:
  - port: serve-81-udp`),
    v4: [".########", ".########", ".########", ".########", ".########", ".########", ".########", ".########", ".########"],
  },
  {
    name: "x/a TCP 80-81 (endPort) from its namespace",
    yaml: np("x", "a-range", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - podSelector: {}
  ports:
  - protocol: TCP
    port: 80
    endPort: 81`),
    legend: { T: ["80/TCP", "81/TCP"] },
    v4: ["T########", "T########", "T########", ".########", ".########", ".########", ".########", ".########", ".########"],
  },
  {
    name: "x/a every SCTP port (protocol without port)",
    yaml: np("x", "a-sctp", `
podSelector: {matchLabels: {pod: a}}
ingress:
- ports:
  - protocol: SCTP`),
    legend: { S: ["80/SCTP", "81/SCTP"] },
    v4: ["S########", "S########", "S########", "S########", "S########", "S########", "S########", "S########", "S########"],
  },
  {
    name: "x/a from IPv4 ipBlock with excepts",
    yaml: np("x", "a-ipblock", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - ipBlock:
      cidr: 10.9.0.0/26
      except: [10.9.0.32/28, 10.9.0.49/32]`),
    v4: ["#########", "#########", "#########", ".########", ".########", ".########", ".########", "#########", "#########"],
    v6: [".########", ".########", ".########", ".########", ".########", ".########", ".########", ".########", ".########"],
  },
  {
    name: "x/a from IPv6 ipBlock with except",
    yaml: np("x", "a-ipblock6", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - ipBlock:
      cidr: fd00:9::/64
      except: ["fd00:9::2:0/112"]`),
    v4: [".########", ".########", ".########", ".########", ".########", ".########", ".########", ".########", ".########"],
    v6: ["#########", "#########", "#########", ".########", ".########", ".########", "#########", "#########", "#########"],
  },
  {
    name: "x/a egress only to namespace y",
    yaml: np("x", "a-to-y", `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Egress]
egress:
- to:
  - namespaceSelector: {matchLabels: {ns: y}}`),
    v4: ["...###...", "#########", "#########", "#########", "#########", "#########", "#########", "#########", "#########"],
  },
  {
    name: "x/a egress to ipBlock of z on UDP 81",
    yaml: np("x", "a-to-z-udp", `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Egress]
egress:
- to:
  - ipBlock: {cidr: 10.9.0.48/28}
  ports:
  - protocol: UDP
    port: 81`),
    legend: { U: ["81/UDP"] },
    v4: ["......UUU", "#########", "#########", "#########", "#########", "#########", "#########", "#########", "#########"],
    v6: [".........", "#########", "#########", "#########", "#########", "#########", "#########", "#########", "#########"],
  },
  {
    name: "x/a egress on named port serve-80-tcp, resolved on each destination",
    yaml: np("x", "a-to-named", `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Egress]
egress:
- ports:
  - port: serve-80-tcp`),
    legend: { T: ["80/TCP"] },
    v4: ["TTTTTTTTT", "#########", "#########", "#########", "#########", "#########", "#########", "#########", "#########"],
  },
  {
    name: "policyTypes [Egress] ignores ingress rules",
    yaml: np("x", "egress-only", `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Egress]
ingress:
- from:
  - podSelector: {matchLabels: {pod: b}}`),
    v4: [".........", "#########", "#########", "#########", "#########", "#########", "#########", "#########", "#########"],
  },
  {
    name: "egress rules without policyTypes isolate both directions",
    yaml: np("x", "implied-egress", `
podSelector: {matchLabels: {pod: a}}
egress:
- to:
  - podSelector: {}`),
    v4: [".##......", ".########", ".########", ".########", ".########", ".########", ".########", ".########", ".########"],
  },
  {
    name: "egress: [] without policyTypes does not isolate egress",
    yaml: np("x", "empty-egress", `
podSelector: {matchLabels: {pod: a}}
ingress:
- {}
egress: []`),
    v4: ALLOW_ALL,
  },
  {
    name: "two policies on x/a are a union",
    yaml: docs(np("x", "a-from-b", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - podSelector: {matchLabels: {pod: b}}`), np("x", "a-from-z", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - namespaceSelector: {matchLabels: {ns: z}}`)),
    v4: [".########", "#########", ".########", ".########", ".########", ".########", "#########", "#########", "#########"],
  },
  {
    name: "a policy in y does not touch x",
    yaml: np("y", "deny-all", `
podSelector: {}
policyTypes: [Ingress]`),
    v4: ["###...###", "###...###", "###...###", "###...###", "###...###", "###...###", "###...###", "###...###", "###...###"],
  },
  {
    name: "x/a egress to y/b TCP 80, y/b ingress only from x",
    yaml: docs(np("x", "a-to-yb", `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Egress]
egress:
- to:
  - namespaceSelector: {matchLabels: {ns: y}}
    podSelector: {matchLabels: {pod: b}}
  ports:
  - port: 80`), np("y", "b-from-x", `
podSelector: {matchLabels: {pod: b}}
policyTypes: [Ingress]
ingress:
- from:
  - namespaceSelector: {matchLabels: {ns: x}}`)),
    legend: { T: ["80/TCP"] },
    v4: ["....T....", "#########", "#########", "####.####", "####.####", "####.####", "####.####", "####.####", "####.####"],
  },
  {
    name: "namespace selected by the automatic kubernetes.io/metadata.name label",
    yaml: np("x", "a-from-z-by-name", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: z}}`),
    v4: [".########", ".########", ".########", ".########", ".########", ".########", "#########", "#########", "#########"],
  },
  {
    name: "x/b egress to 0.0.0.0/0 except x's block",
    yaml: np("x", "b-out", `
podSelector: {matchLabels: {pod: b}}
policyTypes: [Egress]
egress:
- to:
  - ipBlock:
      cidr: 0.0.0.0/0
      except: [10.9.0.16/28]`),
    v4: ["#########", "...######", "#########", "#########", "#########", "#########", "#########", "#########", "#########"],
    v6: ["#########", ".........", "#########", "#########", "#########", "#########", "#########", "#########", "#########"],
  },
  {
    name: "all of z from x on UDP 81 and named SCTP port",
    yaml: np("z", "from-x", `
podSelector: {}
ingress:
- from:
  - namespaceSelector: {matchLabels: {ns: x}}
  ports:
  - port: 81
    protocol: UDP
  - port: serve-80-sctp
    protocol: SCTP`),
    legend: { M: ["81/UDP", "80/SCTP"] },
    v4: ["######MMM", "######MMM", "######MMM", "######...", "######...", "######...", "######...", "######...", "######..."],
  },
  {
    name: "two rules with different peers and ports",
    yaml: np("x", "a-two-rules", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from:
  - podSelector: {matchLabels: {pod: b}}
  ports:
  - port: 80
- from:
  - podSelector: {matchLabels: {pod: c}}
  ports:
  - port: 81
    protocol: UDP`),
    legend: { T: ["80/TCP"], U: ["81/UDP"] },
    v4: [".########", "T########", "U########", ".########", ".########", ".########", ".########", ".########", ".########"],
  },
  {
    name: "from: [] means every source",
    yaml: np("x", "a-empty-from", `
podSelector: {matchLabels: {pod: a}}
ingress:
- from: []
  ports:
  - port: 81`),
    legend: { R: ["81/TCP"] },
    v4: ["R########", "R########", "R########", "R########", "R########", "R########", "R########", "R########", "R########"],
  },
  {
    name: "a podSelector that selects nothing isolates nothing",
    yaml: np("x", "selects-none", `
podSelector:
  matchLabels: {pod: a}
  matchExpressions: [{key: pod, operator: NotIn, values: [a]}]
policyTypes: [Ingress, Egress]`),
    v4: ALLOW_ALL,
  },
  {
    name: "a policy without spec denies all ingress of its namespace",
    yaml: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bare, namespace: x}\n",
    v4: ["...######", "...######", "...######", "...######", "...######", "...######", "...######", "...######", "...######"],
  },
];
